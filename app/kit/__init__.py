"""Shared building blocks every domain uses: pagination, ETags, idempotency, audit, money, crypto."""
