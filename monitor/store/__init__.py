"""Persistence: SQLAlchemy 2 tables, engine setup, repository and migrations."""
