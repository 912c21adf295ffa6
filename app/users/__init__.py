"""Staff accounts and partner-agency clients."""
