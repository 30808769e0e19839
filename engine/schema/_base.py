"""The base struct and the small shared types of every document."""

from __future__ import annotations

from typing import Annotated, ClassVar

import msgspec
from msgspec import Meta

__all__ = ["Doc", "Id", "Code", "Text", "ID_PATTERN", "CODE_PATTERN", "RegionCode"]

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$"

Id = Annotated[
    str,
    Meta(
        pattern=ID_PATTERN,
        max_length=64,
        description="Stable id: lower-case letters, digits and _, starting with a letter.",
    ),
]
Code = Annotated[
    str,
    Meta(
        pattern=CODE_PATTERN,
        max_length=32,
        description="Answer code as stored: letters, digits and _ . + -; quote numbers (\"5\").",
    ),
]
RegionCode = Annotated[
    str,
    Meta(pattern=r"^[0-9]{2,12}$", description="Administrative division code (GB/T 2260 + street/community)."),
]


class Doc(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Policy of every document struct: frozen, unknown keys rejected, keyword-only."""

    #: What a diagnostic calls an instance of this struct ("question 'q1'").
    __subject__: ClassVar[str] = ""


class Text(Doc, kw_only=True):
    """A label in every language of the document: `zh` is required, `en` optional."""

    zh: Annotated[str, Meta(min_length=1)]
    en: Annotated[str, Meta(min_length=1)] | None = None

    def get(self, language: str = "zh") -> str:
        if language == "en" and self.en:
            return self.en
        return self.zh
