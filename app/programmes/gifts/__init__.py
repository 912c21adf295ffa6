"""节日礼品: gifts in kind of the holiday runs (两节, 六一), delivered by the village directors."""
