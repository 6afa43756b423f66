"""Alembic revisions; a package so setuptools ships them with ``matcher``."""
