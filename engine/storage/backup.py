"""Backup and restore of the whole database, with each database's own tools.

- SQLite: the online backup API (`sqlite3.Connection.backup`): a consistent copy taken while
  the service keeps writing; the copy is checked (`PRAGMA integrity_check`) and renamed into
  place only when complete. Restore copies the backup into the target file the same way.
- PostgreSQL: `pg_dump --format=custom` (one consistent snapshot, taken while the service
  runs) and `pg_restore --single-transaction --exit-on-error` (all or nothing). The client
  tools must be on PATH and at least as new as the server (Debian: `postgresql-client-15`);
  a password comes from PGPASSWORD or ~/.pgpass, never from the command line.

Restore refuses a database that already has tables unless `replace=True`. `table_digests`
gives each table's row count and a content hash, to compare a restored copy with its source."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from ..errors import ManyiError
from .db import database_url

__all__ = ["BackupError", "TableDigest", "backup", "restore", "table_digests"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_PGDUMP_MAGIC = b"PGDMP"


class BackupError(ManyiError):
    """A backup or restore that cannot be done; says why and what to do."""


@dataclass(frozen=True, slots=True)
class TableDigest:
    rows: int
    sha256: str


def _sqlite_path(url: str) -> Path:
    db = make_url(url).database
    if not db or db == ":memory:":
        raise BackupError(f"{url}: an SQLite database in a file is needed")
    return Path(db)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not on PATH: install the PostgreSQL client tools of the server's version "
                          "(Debian: apt-get install postgresql-client-15) and run again")
    return found


def _pg_target(url: str) -> tuple[str, dict[str, str]]:
    """The libpq connection URL (no password) and the environment carrying the password."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def backup(url: str | None, out: str | Path) -> Path:
    """Write a consistent copy of the database to `out` (SQLite file or pg_dump archive)."""
    url = database_url(url)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    tmp.unlink(missing_ok=True)
    if url.startswith("sqlite"):
        src_path = _sqlite_path(url)
        if not src_path.exists():
            raise BackupError(f"{src_path}: no such database file")
        src = sqlite3.connect(src_path)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{tmp}: the copy failed its integrity check; nothing was written to {out}")
        finally:
            dst.close()
            src.close()
    elif url.startswith("postgresql"):
        target, env = _pg_target(url)
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(tmp), target],
             env)
    else:
        raise BackupError(f"{url.split(':')[0]}: backup knows SQLite and PostgreSQL")
    os.replace(tmp, out)
    return out


def restore(src: str | Path, url: str | None, *, replace: bool = False) -> None:
    """Restore a backup made by `backup` into the database at `url`."""
    url = database_url(url)
    src = Path(src)
    if not src.is_file():
        raise BackupError(f"{src}: no such backup file")
    magic = src.open("rb").read(16)
    tables = _tables(url)
    if tables and not replace:
        raise BackupError(f"the target database already has {len(tables)} table(s) ({', '.join(sorted(tables)[:5])}"
                          f"{', ...' if len(tables) > 5 else ''}); restore into an empty database, or pass --replace")
    if url.startswith("sqlite"):
        if magic != _SQLITE_MAGIC:
            raise BackupError(f"{src}: not an SQLite backup (a PostgreSQL archive restores into PostgreSQL)")
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        try:
            if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{src}: the backup fails its integrity check; nothing was restored")
            target = sqlite3.connect(_sqlite_path(url))
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
    elif url.startswith("postgresql"):
        if not magic.startswith(_PGDUMP_MAGIC):
            raise BackupError(f"{src}: not a pg_dump custom-format archive (an SQLite backup restores into SQLite)")
        target, env = _pg_target(url)
        cmd = [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
               "--dbname", target]
        if replace:
            cmd += ["--clean", "--if-exists"]
        _run(cmd + [str(src)], env)
    else:
        raise BackupError(f"{url.split(':')[0]}: restore knows SQLite and PostgreSQL")


def _tables(url: str) -> set[str]:
    if url.startswith("sqlite") and not _sqlite_path(url).exists():
        return set()
    eng = create_engine(url)
    try:
        return set(inspect(eng).get_table_names())
    finally:
        eng.dispose()


def table_digests(url: str | None) -> dict[str, TableDigest]:
    """Row count and SHA-256 of the content of every table (rows in primary-key order)."""
    url = database_url(url)
    eng = create_engine(url)
    out: dict[str, TableDigest] = {}
    try:
        insp = inspect(eng)
        with eng.connect() as c:
            for table in sorted(insp.get_table_names()):
                cols = [col["name"] for col in insp.get_columns(table)]
                order = insp.get_pk_constraint(table).get("constrained_columns") or cols
                q = text(f"SELECT {', '.join(_q(c) for c in cols)} FROM {_q(table)} "
                         f"ORDER BY {', '.join(_q(c) for c in order)}")
                h, n = hashlib.sha256(), 0
                for row in c.execute(q):
                    h.update(json.dumps(list(row), default=str, sort_keys=True, ensure_ascii=False).encode())
                    h.update(b"\n")
                    n += 1
                out[table] = TableDigest(n, h.hexdigest())
    finally:
        eng.dispose()
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
