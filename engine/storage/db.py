"""Connecting and migrating: SQLite (WAL) by default, PostgreSQL by MANYI_DATABASE_URL."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

__all__ = ["database_url", "make_engine", "upgrade", "downgrade", "sqlite_synchronous", "DEFAULT_SQLITE"]

DEFAULT_SQLITE = Path("var") / "manyi.db"


def sqlite_synchronous() -> str:
    """FULL (default): a commit is on disk when it returns, it survives a power loss. NORMAL
    (MANYI_SQLITE_SYNCHRONOUS=NORMAL): it survives a crash of the process, not of the machine.
    Group commit (engine.storage.group) pays the fsync of FULL once per group."""
    level = os.environ.get("MANYI_SQLITE_SYNCHRONOUS", "FULL").upper()
    if level not in ("FULL", "NORMAL"):
        raise ValueError(f"MANYI_SQLITE_SYNCHRONOUS must be FULL or NORMAL; got {level!r}")
    return level


def database_url(url: str | None = None) -> str:
    """The URL given, or MANYI_DATABASE_URL, or the embedded SQLite file var/manyi.db."""
    url = url or os.environ.get("MANYI_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE}"


_encode = msgspec.json.Encoder().encode


def json_text(value) -> str:
    """JSON columns are written by msgspec (several times faster than json.dumps; the same
    JSON values read back)."""
    return _encode(value).decode("utf-8")


def make_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=json_text)
        sync = sqlite_synchronous()

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sync}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=json_text)


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
