"""Reading the audit log (auditors and district admins)."""
