"""A streaming writer of SPSS system files (.sav), row by row in constant memory.

pyreadstat (the project's reader) writes .sav only from a whole pandas or polars data frame,
neither of which the project depends on, and cannot append: a million responses would sit in
memory at once. This writer follows the documented system-file layout (the PSPP manual,
"System File Format") and writes: the file header, variable records (long names, variable
labels, up to three discrete user-missing values), value labels, machine integer and float
info, variable display parameters (measure level), long variable names, the UTF-8 encoding
record, and the cases with bytecode compression. The case count in the header is patched on
close. Strings are at most 255 bytes (longer text is cut at a character boundary; the
codebook says so).
"""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass, field
from typing import BinaryIO, Sequence

__all__ = ["SavVariable", "SavWriter", "MAX_STRING"]

MAX_STRING = 255
SYSMIS = -1.7976931348623157e308
HIGHEST = 1.7976931348623157e308
LOWEST = struct.unpack("<d", bytes.fromhex("feffffffffffefff"))[0]
BIAS = 100.0
_MEASURE = {"nominal": 1, "ordinal": 2, "scale": 3}
_DOUBLE = struct.Struct("<d")
_SPACES = [bytes([254]) * k for k in range(33)]


@dataclass(frozen=True)
class SavVariable:
    name: str  # the long name (the id), at most 64 bytes
    label: str = ""
    width: int = 0  # 0: numeric; 1..255: string of that many bytes
    decimals: int = 0
    value_labels: dict[float, str] = field(default_factory=dict)
    missing: tuple[float, ...] = ()  # discrete user-missing values (numeric, at most 3)
    measure: str = "nominal"

    @property
    def segments(self) -> int:
        return 1 if self.width == 0 else (self.width + 7) // 8


def _fit(text: str, limit: int) -> bytes:
    """UTF-8 bytes of text, cut at a character boundary to at most `limit` bytes."""
    b = text.encode("utf-8")
    if len(b) <= limit:
        return b
    return b[:limit].decode("utf-8", errors="ignore").encode("utf-8")


def _pad(b: bytes, size: int, fill: bytes = b" ") -> bytes:
    return b + fill * (size - len(b))


class SavWriter:
    """Write to a binary file opened for writing (seekable to patch the case count)."""

    def __init__(self, f: BinaryIO, variables: Sequence[SavVariable], *, label: str = "",
                 notes: Sequence[str] = ()):
        names = [v.name for v in variables]
        if len(set(n.upper() for n in names)) != len(names):
            raise ValueError("variables: names must be unique (case-insensitively)")
        for v in variables:
            if not 0 <= v.width <= MAX_STRING:
                raise ValueError(f"variable {v.name!r}: width must be 0 (numeric) to {MAX_STRING}; got {v.width}")
            if len(v.missing) > 3 or (v.missing and v.width):
                raise ValueError(f"variable {v.name!r}: at most three numeric missing values")
            if len(v.name.encode("utf-8")) > 64:
                raise ValueError(f"variable {v.name!r}: name longer than 64 bytes")
        self.f = f
        self.variables = list(variables)
        self.cases = 0
        self._widths = [v.width for v in self.variables]
        self._codes = bytearray()
        self._data: list[bytes] = []
        self._start = f.tell() if f.seekable() else None
        self._header(label)
        self._dictionary(notes)

    # -- dictionary ----------------------------------------------------------------------------
    def _header(self, label: str) -> None:
        now = dt.datetime.now()
        month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[now.month - 1]
        self.f.write(b"$FL2" + _pad(b"@(#) SPSS DATA FILE manyi", 60)
                     + struct.pack("<iiiii", 2, sum(v.segments for v in self.variables), 1, 0, -1)
                     + struct.pack("<d", BIAS)
                     + f"{now.day:02d} {month} {now.year % 100:02d}".encode("ascii")
                     + now.strftime("%H:%M:%S").encode("ascii")
                     + _pad(_fit(label, 64), 64) + b"\0\0\0")

    def _dictionary(self, notes: Sequence[str]) -> None:
        w = self.f.write
        index = 0  # 1-based position among variable records, continuation records included
        positions: list[int] = []
        for k, v in enumerate(self.variables):
            index += 1
            positions.append(index)
            fmt = ((1 << 16) | (v.width << 8)) if v.width else ((5 << 16) | (max(8, v.decimals + 2) << 8) | v.decimals)
            label = _fit(v.label, 255)
            w(struct.pack("<iiiiii", 2, v.width, 1 if label else 0, len(v.missing), fmt, fmt)
              + _pad(f"V{k + 1}".encode("ascii"), 8))
            if label:
                w(struct.pack("<i", len(label)) + _pad(label, (len(label) + 3) // 4 * 4))
            for m in v.missing:
                w(struct.pack("<d", float(m)))
            for _ in range(v.segments - 1):
                index += 1
                w(struct.pack("<iiiiii", 2, -1, 0, 0, 0, 0) + b" " * 8)
        for pos, v in zip(positions, self.variables):
            if not v.value_labels or v.width:
                continue
            w(struct.pack("<ii", 3, len(v.value_labels)))
            for value, text in v.value_labels.items():
                lab = _fit(text, 120)
                w(struct.pack("<dB", float(value), len(lab)) + _pad(lab, (len(lab) + 1 + 7) // 8 * 8 - 1))
            w(struct.pack("<iii", 4, 1, pos))
        if notes:
            lines = [_pad(_fit(line, 80), 80) for line in notes]
            w(struct.pack("<ii", 6, len(lines)) + b"".join(lines))
        w(struct.pack("<iiii", 7, 3, 4, 8) + struct.pack("<8i", 1, 0, 0, -1, 1, 1, 2, 65001))
        w(struct.pack("<iiii", 7, 4, 8, 3) + struct.pack("<3d", SYSMIS, HIGHEST, LOWEST))
        w(struct.pack("<iiii", 7, 11, 4, 3 * len(self.variables)))
        for v in self.variables:
            width = 8 if v.width == 0 else min(max(v.width, 8), 40)
            w(struct.pack("<iii", _MEASURE.get(v.measure, 1), width, 1 if v.width == 0 else 0))
        names = "\t".join(f"V{k + 1}={v.name}" for k, v in enumerate(self.variables)).encode("utf-8")
        w(struct.pack("<iiii", 7, 13, 1, len(names)) + names)
        enc = b"UTF-8"
        w(struct.pack("<iiii", 7, 20, 1, len(enc)) + enc)
        w(struct.pack("<ii", 999, 0))

    # -- cases ---------------------------------------------------------------------------------
    def _flush(self, final: bool = False) -> None:
        """Write whole blocks: 8 command bytes, then the 8-byte values of their 253 codes."""
        codes, raws = self._codes, self._data
        whole = len(codes) // 8 * 8
        if final and whole < len(codes):
            codes.extend(b"\0" * (8 - len(codes) % 8))
            whole = len(codes)
        out, k = [], 0
        for i in range(0, whole, 8):
            block = bytes(codes[i:i + 8])
            m = block.count(253)
            out.append(block)
            if m:
                out.extend(raws[k:k + m])
                k += m
        self.f.write(b"".join(out))
        del codes[:whole]
        del raws[:k]

    def write_row(self, values: Sequence[float | int | str | None]) -> None:
        """One case, a value per variable in order: a number or None for numeric variables,
        text (or None) for strings."""
        if len(values) != len(self.variables):
            raise ValueError(f"values: expected {len(self.variables)}, got {len(values)}")
        codes, raws = self._codes, self._data
        pack = _DOUBLE.pack
        for width, x in zip(self._widths, values):
            if width == 0:
                if x is None:
                    codes.append(255)
                elif type(x) is int and -99 <= x <= 151:
                    codes.append(x + 100)
                else:
                    x = float(x)
                    if x != x:
                        codes.append(255)
                    elif x.is_integer() and -99 <= x <= 151:
                        codes.append(int(x) + 100)
                    else:
                        codes.append(253)
                        raws.append(pack(x))
                continue
            size = (width + 7) // 8
            if not x:
                codes.extend(_SPACES[size])
                continue
            b = _fit(str(x), width)
            b = b + b" " * (size * 8 - len(b))
            for i in range(0, size * 8, 8):
                chunk = b[i:i + 8]
                if chunk == b"        ":
                    codes.append(254)
                else:
                    codes.append(253)
                    raws.append(chunk)
        self.cases += 1
        if len(codes) >= 8192:
            self._flush()

    def close(self) -> None:
        """Finish the last compression block and patch the case count into the header."""
        self._flush(final=True)
        if self._start is not None:
            end = self.f.tell()
            self.f.seek(self._start + 80)
            self.f.write(struct.pack("<i", self.cases if self.cases < 2**31 else -1))
            self.f.seek(end)
        self.f.flush()
