"""Connecting and migrating: SQLite (WAL) by default, PostgreSQL by MANYI_DATABASE_URL."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

__all__ = ["database_url", "make_engine", "upgrade", "downgrade", "DEFAULT_SQLITE"]

DEFAULT_SQLITE = Path("var") / "manyi.db"


def database_url(url: str | None = None) -> str:
    """The URL given, or MANYI_DATABASE_URL, or the embedded SQLite file var/manyi.db."""
    url = url or os.environ.get("MANYI_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE}"


def make_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record) -> None:  # WAL: a commit survives a process crash
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic(url: str | None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Migrate the database up to `revision` (Alembic; migrations ship inside the package)."""
    from alembic import command

    command.upgrade(_alembic(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Migrate the database down to `revision` (base: empty)."""
    from alembic import command

    command.downgrade(_alembic(url), revision)
