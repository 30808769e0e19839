"""Rows of a CSV or XLSX file, streamed: the header, then (row number, cells as text) with the
fraction of the file read so far (for progress). CSV may be UTF-8 (with or without BOM) or
GB18030/GBK, as Excel saves it on Chinese Windows; XLSX is read with openpyxl in read-only
mode (first sheet), one row at a time."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

__all__ = ["TableError", "Table", "open_table", "file_format"]


class TableError(Exception):
    """The file cannot be read as a table; `row` is where (1 = header)."""

    def __init__(self, message: str, row: int = 1):
        super().__init__(message)
        self.row = row


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[str], float]]  # (row number in the file, cells, fraction read)
    encoding: str


def file_format(path: str | Path) -> str:
    """'xlsx' for a zip container (whatever the name), else 'csv'."""
    with open(path, "rb") as f:
        return "xlsx" if f.read(4) == b"PK\x03\x04" else "csv"


def _sniff_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError:
        raise TableError("the file is neither UTF-8 nor GB18030 text; save it as CSV UTF-8") from None


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _csv(path: Path) -> Table:
    size = max(os.path.getsize(path), 1)
    fb = open(path, "rb")
    encoding = _sniff_encoding(fb.read(1 << 20))
    fb.seek(0)
    text = io.TextIOWrapper(fb, encoding=encoding, newline="")
    reader = csv.reader(text)
    try:
        header = next(reader, None)
    except (csv.Error, UnicodeDecodeError) as e:
        fb.close()
        raise TableError(f"the header row cannot be read ({e})") from None
    if not header or not any(h.strip() for h in header):
        fb.close()
        raise TableError("the file has no header row")

    def rows() -> Iterator[tuple[int, list[str], float]]:
        try:
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except (csv.Error, UnicodeDecodeError) as e:
                    raise TableError(f"cannot read the row after row {reader.line_num} ({e})",
                                     reader.line_num + 1) from None
                if any(c.strip() for c in row):
                    yield reader.line_num, [c.strip() for c in row], fb.tell() / size
        finally:
            fb.close()

    return Table([h.strip() for h in header], rows(), encoding)


def _xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a broken file
        raise TableError(f"not a readable XLSX workbook ({e.__class__.__name__}: {e})") from None
    ws = wb.worksheets[0]
    total = ws.max_row or 0
    it = ws.iter_rows(values_only=True)
    first = next(it, None)
    if first is None or not any(_cell(v) for v in first):
        wb.close()
        raise TableError("the first sheet has no header row")
    header = [_cell(v) for v in first]

    def rows() -> Iterator[tuple[int, list[str], float]]:
        try:
            for k, values in enumerate(it, start=2):
                cells = [_cell(v) for v in values]
                if any(cells):
                    yield k, cells, (k / total if total else 0.0)
        finally:
            wb.close()

    return Table(header, rows(), "xlsx")


def open_table(path: str | Path) -> Table:
    path = Path(path)
    try:
        fmt = file_format(path)
    except OSError as e:
        raise TableError(f"cannot read: {e.strerror or e}") from None
    return _xlsx(path) if fmt == "xlsx" else _csv(path)
