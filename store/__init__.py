"""Records (not ML models): SQLAlchemy tables, repositories and Alembic migrations; SQLite or PostgreSQL."""
