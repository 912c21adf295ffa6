"""培训: the yearly training cascade of the district's child workers."""
