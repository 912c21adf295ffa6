"""运营看板: the district operations dashboard (summary API and page)."""
