"""Webhook delivery to partner agencies from a transactional outbox: signed, retried, logged."""
