"""Care programmes run with partners (issue 24)."""
