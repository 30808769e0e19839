"""Storage: SQLAlchemy 2 models, Alembic migrations (SQLite WAL by default, PostgreSQL by
MANYI_DATABASE_URL) and the Store service that hands out plain records."""

from .db import database_url, downgrade, make_engine, upgrade
from .store import Conflict, NotFound, Store, StoredResponse, hash_token

__all__ = ["database_url", "make_engine", "upgrade", "downgrade", "Store", "StoredResponse", "Conflict", "NotFound", "hash_token"]
