"""补贴 — subsidies: rules as code (pure), with effective-dated parameters."""
