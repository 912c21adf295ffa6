"""行政区划: the district → town → village tree."""
