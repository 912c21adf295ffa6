"""Section providers, one module per domain, each written against that domain's models and
clauses (plain imports). `app.wiring` registers them with the dashboard."""
