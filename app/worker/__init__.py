"""Background jobs: a transactional job table, worked by the service or by `python -m app.worker`."""
