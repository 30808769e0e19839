"""Operator commands of the `manyi` CLI: backup and restore (registered by engine.cli).

    manyi backup [--database URL] OUT      a consistent copy while the service runs
    manyi restore IN [--database URL] [--replace]   into an empty database (stop the service first)
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["register"]

_DB_HELP = "database URL (default: MANYI_DATABASE_URL or var/manyi.db)"


def _summary(url: str | None) -> str:
    from .storage.backup import table_digests

    digests = table_digests(url)
    return f"{len(digests)} tables, {sum(d.rows for d in digests.values())} rows"


def _backup(args: argparse.Namespace) -> int:
    from .storage.backup import BackupError, backup

    try:
        out = backup(args.database, args.out)
    except BackupError as e:
        print(f"manyi backup: {e}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({out.stat().st_size} bytes) from a database of {_summary(args.database)}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from .storage.backup import BackupError, restore

    try:
        restore(args.backup, args.database, replace=args.replace)
    except BackupError as e:
        print(f"manyi restore: {e}", file=sys.stderr)
        return 1
    print(f"restored {args.backup}: {_summary(args.database)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="copy the database to a file (SQLite online backup, PostgreSQL pg_dump)")
    p.add_argument("out", metavar="OUT", help="the backup file to write")
    p.add_argument("--database", help=_DB_HELP)
    p.set_defaults(func=_backup)
    p = sub.add_parser("restore", help="restore a backup into an empty database (PostgreSQL: pg_restore)")
    p.add_argument("backup", metavar="IN", help="a file written by manyi backup")
    p.add_argument("--database", help=_DB_HELP)
    p.add_argument("--replace", action="store_true", help="drop what the target holds and restore over it")
    p.set_defaults(func=_restore)
