"""Many rows into one table with their new ids back, in arrival order, at the driver's speed.

SQLite: one prepared INSERT run per row on the driver cursor, the id read from lastrowid
(the sqlite3 statement cache keeps it compiled; a multi-row VALUES statement is parsed anew
for every size, and RETURNING makes each row about 3.5 times slower in the sqlite3 module). Values go through the same bind
processors SQLAlchemy would apply (JSON, DateTime), so the rows read back as usual.
Other databases: SQLAlchemy Core's insertmanyvalues with RETURNING sorted by parameter order."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Sequence

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection

__all__ = ["insert_returning_ids", "insert_values_returning_ids", "insert_statement_ids", "insert_rows",
           "select_in", "bind"]

#: PostgreSQL: from this many rows on, COPY into a temporary table and INSERT ... SELECT
COPY_FROM = 50

_PLANS: dict[tuple, tuple[str, list]] = {}


def _plan(conn: Connection, table: Table, columns: tuple[str, ...], returning: bool,
          unique: tuple[str, ...] = ()) -> tuple[str, list]:
    key = (id(table), conn.dialect.name, columns, returning, unique)
    plan = _PLANS.get(key)
    if plan is None:
        dialect = conn.dialect
        procs = [table.c[c].type._cached_bind_processor(dialect) for c in columns]
        sql = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
               f"({', '.join(dialect.identifier_preparer.quote(c) for c in columns)}) "
               f"VALUES ({', '.join('?' for _ in columns)})")
        if unique:
            sql += f" ON CONFLICT ({', '.join(dialect.identifier_preparer.quote(c) for c in unique)}) DO NOTHING"
        if returning:
            sql += f" RETURNING {dialect.identifier_preparer.quote(table.primary_key.columns.values()[0].name)}"
        plan = _PLANS[key] = (sql, procs)
    return plan


def _params(rows: Sequence[dict[str, Any]], columns: tuple[str, ...], procs: list) -> list[tuple]:
    """Row tuples with the bind processors applied; a datetime is formatted once per distinct
    (instant, zone) in the call (the times of a batch repeat a lot)."""
    todo = [(k, p, {}) for k, p in enumerate(procs) if p is not None]
    out = []
    for row in rows:
        vals = [row[c] for c in columns]
        for k, p, seen in todo:
            v = vals[k]
            if v is None:
                continue
            if isinstance(v, dt.datetime):
                key = (v, v.tzinfo)  # equal instants in other zones format differently
                got = seen.get(key)
                if got is None:
                    got = seen[key] = p(v)
                vals[k] = got
            else:
                vals[k] = p(v)
        out.append(tuple(vals))
    return out


def insert_returning_ids(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *,
                         unique: tuple[str, ...] = ()) -> list[int | None]:
    """Insert `rows` (dicts with the same keys) and return their new primary keys in order.
    With `unique` (the columns of a unique key; the rows must differ on it), a row whose key
    is stored already is skipped (ON CONFLICT DO NOTHING) and gets None."""
    if not rows:
        return []
    if conn.dialect.name != "sqlite":
        pk = table.primary_key.columns.values()[0]
        if not unique:
            return list(conn.execute(insert(table).returning(pk, sort_by_parameter_order=True),
                                     list(rows)).scalars())
        if conn.dialect.name == "postgresql" and len(rows) >= COPY_FROM:
            columns = tuple(rows[0])
            return _copy_values_returning_ids(conn, table, columns, [tuple(r[c] for c in columns) for r in rows],
                                              unique)
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table).on_conflict_do_nothing(index_elements=list(unique)).returning(
            pk, *(table.c[c] for c in unique))
        got: dict[tuple, int] = {}
        for i in range(0, len(rows), 1000):
            for r in conn.execute(stmt, list(rows[i:i + 1000])):
                got[tuple(r[1:])] = r[0]
        return [got.get(tuple(row[c] for c in unique)) for row in rows]
    columns = tuple(rows[0])
    sql, procs = _plan(conn, table, columns, False, unique)
    cur = conn.connection.driver_connection.cursor()
    try:
        ids: list[int | None] = []
        for params in _params(rows, columns, procs):
            cur.execute(sql, params)  # no RETURNING: sqlite3 runs it several times slower
            ids.append(cur.lastrowid if cur.rowcount == 1 else None)
        return ids
    finally:
        cur.close()


def _processed(conn: Connection, table: Table, columns: tuple[str, ...], values: Sequence[tuple], procs: list
               ) -> list[tuple]:
    """Value tuples through the bind processors (SQLite), each distinct value of a datetime or
    scalar column and each JSON object processed once per call (the times, codes and deadlines
    of a batch repeat; `values` keeps the objects alive, so their ids stay theirs)."""
    from sqlalchemy import JSON

    from .db import json_text

    direct = getattr(conn.dialect, "_json_serializer", None) is json_text  # what the JSON processor calls
    todo = []
    for k, (c, p) in enumerate(zip(columns, procs)):
        if p is not None:
            todo.append((k, p, {}, isinstance(table.c[c].type, JSON)))
    if not todo:
        return list(values)
    out = []
    for row in values:
        vals = list(row)
        for k, p, seen, json in todo:
            v = vals[k]
            if v is None:
                continue
            if json:  # the same object (or an empty one) is encoded once
                if v and direct and (type(v) is dict or type(v) is list):
                    vals[k] = json_text(v)  # as the processor would, without its checks for JSON.NULL
                    continue
                key = id(v) if v else type(v)
            else:
                key = (v, v.tzinfo) if isinstance(v, dt.datetime) else (type(v), v)  # zones format differently
            got = seen.get(key)
            if got is None:
                got = seen[key] = p(v)
            vals[k] = got
        out.append(tuple(vals))
    return out


def insert_values_returning_ids(conn: Connection, table: Table, columns: tuple[str, ...], values: Sequence[tuple],
                                *, unique: tuple[str, ...]) -> list[int | None]:
    """Insert rows given as tuples of `columns` (Python values, as SQLAlchemy takes them; they
    must differ on the unique key `unique`) and return their new primary keys in order; a row
    whose key is stored already is skipped (ON CONFLICT DO NOTHING) and gets None.

    SQLite: one executemany of the prepared INSERT (one call into the driver, not one per row),
    then the new ids read back by primary key range: SQLite gives a new row the largest rowid
    plus one, and the rows of one statement are inserted under the transaction's write lock, so
    the rows this statement stored are the rowcount rows ending at last_insert_rowid. The rows
    read back are checked against the keys sent (an error, nothing kept, if they differ).
    PostgreSQL: COPY into a temporary twin, then INSERT ... SELECT ... ON CONFLICT DO NOTHING
    RETURNING. Other databases: insert_returning_ids."""
    if not values:
        return []
    if conn.dialect.name == "postgresql" and len(values) >= COPY_FROM:
        return _copy_values_returning_ids(conn, table, columns, values, unique)
    if conn.dialect.name != "sqlite" or any(table.c[c].type._cached_bind_processor(conn.dialect) is not None
                                            for c in unique):
        return insert_returning_ids(conn, table, [dict(zip(columns, v)) for v in values], unique=unique)
    sql, procs = _plan(conn, table, columns, False, unique)
    at = [columns.index(c) for c in unique]
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.executemany(sql, _processed(conn, table, columns, values, procs))
        stored = cur.rowcount  # rows this statement stored (the skipped ones count 0)
        if stored == 0:
            return [None] * len(values)
        (last,), = cur.execute("SELECT last_insert_rowid()").fetchall()
        q = conn.dialect.identifier_preparer.quote
        pk = q(table.primary_key.columns.values()[0].name)
        got = {tuple(r[1:]): r[0] for r in cur.execute(
            f"SELECT {pk}, {', '.join(q(c) for c in unique)} FROM {conn.dialect.identifier_preparer.format_table(table)} "
            f"WHERE {pk} BETWEEN ? AND ?", (last - stored + 1, last))}
    finally:
        cur.close()
    out = [got.get(tuple(v[k] for k in at)) for v in values]
    if len(got) != stored or sum(i is not None for i in out) != stored:
        raise RuntimeError(f"{table.name}: the {stored} rows just inserted are not the rows of ids "
                           f"{last - stored + 1}..{last}; nothing is kept")
    return out


def _copy_values_returning_ids(conn: Connection, table: Table, columns: tuple[str, ...], values: Sequence[tuple],
                               unique: tuple[str, ...]) -> list[int | None]:
    """PostgreSQL: COPY the value tuples into a temporary twin of the table (made once per
    session, emptied at commit), then one INSERT ... SELECT ... ON CONFLICT DO NOTHING
    RETURNING the new ids with their keys."""
    from sqlalchemy import JSON

    from .db import json_text

    q = conn.dialect.identifier_preparer.quote
    name = conn.dialect.identifier_preparer.format_table(table)
    temp = q(f"_in_{table.name}_{hashlib.sha256(' '.join(columns).encode()).hexdigest()[:8]}")
    cols = ", ".join(q(c) for c in columns)
    pk = table.primary_key.columns.values()[0].name
    json_at = [k for k, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {temp} ON COMMIT DELETE ROWS AS "
                    f"SELECT {cols} FROM {name} WITH NO DATA")
        cur.execute(f"DELETE FROM {temp}")  # rows of an earlier batch in this transaction
        with cur.copy(f"COPY {temp} ({cols}) FROM STDIN") as copy:
            if json_at:
                texts: dict[Any, str] = {}  # the same object (or an empty one) encoded once
                for row in values:
                    row = list(row)
                    for k in json_at:
                        v = row[k]
                        if v is not None:
                            key = id(v) if v else type(v)
                            got = texts.get(key)
                            if got is None:
                                got = texts[key] = json_text(v)
                            row[k] = got
                    copy.write_row(row)
            else:
                for row in values:
                    copy.write_row(row)
        keys = ", ".join(q(c) for c in unique)
        cur.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {temp} ON CONFLICT ({keys}) DO NOTHING "
                    f"RETURNING {q(pk)}, {keys}")
        got = {tuple(r[1:]): r[0] for r in cur.fetchall()}
    finally:
        cur.close()
    at = [columns.index(c) for c in unique]
    return [got.get(tuple(v[k] for k in at)) for v in values]


#: SQLite: the largest rowid; a table that holds it gives new rows random rowids
MAX_ROWID = 2**63 - 1
#: SQLite: at most this many rows in one multi-row INSERT (and at most 32,766 variables)
ROWS_PER_STATEMENT = 512


def insert_statement_ids(conn: Connection, table: Table, rows: Sequence[Any], *,
                         before: int | None = None, columns: tuple[str, ...] | None = None) -> list[int]:
    """Insert `rows` (dicts with the same keys, or with `columns` tuples of those columns'
    values) and return their new primary keys in order, for a writer that shares the GIL with
    a busy event loop.

    SQLite: one multi-row INSERT per up to ROWS_PER_STATEMENT rows. The sqlite3 module lets go
    of the GIL around every statement step, and getting it back waits for the other thread's
    turn: a statement per row made a group of 30 wait for the GIL 30 times. The ids are read
    from the table's largest rowid before the statement: an INTEGER PRIMARY KEY table (no
    AUTOINCREMENT, no trigger) gives each new row the largest rowid plus one, so the rows of
    one statement get before+1 ... before+n, in VALUES order, and the last one is lastrowid.
    If that does not hold (a table that holds MAX_ROWID picks rowids at random; another
    process wrote rows after `before` was read), this raises and the caller's transaction is
    rolled back (the group commit then writes item by item). `before`: the largest primary
    key, if the caller read it already (else it is read here). Other databases:
    insert_returning_ids."""
    if not rows:
        return []
    if conn.dialect.name != "sqlite":
        dicts = rows if columns is None else [dict(zip(columns, v)) for v in rows]
        return list(insert_returning_ids(conn, table, dicts))  # type: ignore[arg-type]
    if columns is None:
        columns = tuple(rows[0])
        rows = [tuple(r[c] for c in columns) for r in rows]
    _, procs = _plan(conn, table, columns, False)
    q = conn.dialect.identifier_preparer
    pk = q.quote(table.primary_key.columns.values()[0].name)
    name = q.format_table(table)
    head = f"INSERT INTO {name} ({', '.join(q.quote(c) for c in columns)}) VALUES "
    one = f"({', '.join('?' for _ in columns)})"
    per = max(1, min(ROWS_PER_STATEMENT, 32_766 // len(columns)))
    params = _processed(conn, table, columns, rows, procs)
    cur = conn.connection.driver_connection.cursor()
    try:
        ids: list[int] = []
        for i in range(0, len(params), per):
            page = params[i:i + per]
            if before is None:
                before = cur.execute(f"SELECT max({pk}) FROM {name}").fetchone()[0] or 0
            cur.execute(head + ", ".join(one for _ in page), [v for row in page for v in row])
            last = cur.lastrowid
            if before >= MAX_ROWID or cur.rowcount != len(page) or last != before + len(page):
                raise RuntimeError(f"{table.name}: new rowids are not {before + 1}..{before + len(page)} "
                                   f"(last {last}); write row by row")
            ids.extend(range(before + 1, last + 1))
            before = last
        return ids
    finally:
        cur.close()


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` without reading anything back (executemany)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), list(rows))
        return
    columns = tuple(rows[0])
    sql, procs = _plan(conn, table, columns, False)
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.executemany(sql, _params(rows, columns, procs))
    finally:
        cur.close()


def bind(conn: Connection, column, value: Any) -> Any:
    """`value` as the driver gets it for `column` (SQLite stores times as text)."""
    p = column.type._cached_bind_processor(conn.dialect)
    return p(value) if p is not None and value is not None else value


def select_in(conn: Connection, sql: str, values: Sequence[Any], *params: Any) -> list[tuple]:
    """Run `sql`, whose `{in}` is replaced by one placeholder per value, on the driver (the
    expanding IN of SQLAlchemy costs tens of microseconds per value). `params` come first.
    Pages of 500 values."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    out: list[tuple] = []
    values = list(values)
    for i in range(0, len(values), 500):
        page = values[i:i + 500]
        text_ = sql.replace("{in}", ", ".join(mark for _ in page)).replace("{p}", mark)
        out += [tuple(r) for r in conn.exec_driver_sql(text_, (*params, *page))]
    return out
