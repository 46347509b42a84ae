"""Persistence: models, the database handle, repositories and Alembic migrations."""
