"""社区未成年人活动: activities in the villages' minors' venues, and who took part in none."""
