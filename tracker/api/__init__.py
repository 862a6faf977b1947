"""The REST API's shared parts: tokens, permissions, errors, pagination, ETags, idempotency."""
