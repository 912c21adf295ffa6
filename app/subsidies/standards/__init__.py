"""补贴标准: the effective-dated standards, their values and their two-yearly review."""
