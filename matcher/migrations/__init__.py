"""Alembic migrations of the run store (matcher.store runs them on open)."""
