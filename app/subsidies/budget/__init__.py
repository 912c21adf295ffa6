"""The year's budget for classified support and the spending against it."""
