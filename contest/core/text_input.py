"""Text as people type it, made fit for every place it goes.

PostgreSQL refuses NUL in text, and Word (python-docx) and Excel (openpyxl) files refuse the C0
control characters: one such character pasted into a title would make the save fail, or every later
export of the entry. They carry no meaning in a form, so every form field and query argument loses
them on the way in (``CleanRequest``) — the same on SQLite and PostgreSQL. Word's own line and page
breaks (vertical tab, form feed), which come along when text is copied out of a .doc, become line
feeds. Tab, line feed and carriage return are kept.
"""
from __future__ import annotations

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.utils import cached_property

_TABLE = {code: None for code in [*range(0x00, 0x09), *range(0x0E, 0x20), 0xFFFE, 0xFFFF]}
_TABLE.update({0x0B: "\n", 0x0C: "\n"})


def clean_text(value: str) -> str:
    """``value`` without NUL and C0 control characters other than tab, LF and CR; VT and FF become LF;
    the non-characters U+FFFE and U+FFFF (not allowed in XML) are dropped too."""
    return value.translate(_TABLE)


def _cleaned(values: MultiDict) -> ImmutableMultiDict:
    return ImmutableMultiDict([(clean_text(k), clean_text(v)) for k, v in values.items(multi=True)])


class CleanRequest(Request):
    """Flask's request with ``form`` and ``args`` (and so ``values``) passed through ``clean_text``.
    Uploaded files are untouched (their client names are reduced to a label by ``media.storage``)."""

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:  # parsed and cleaned already (``files`` and ``stream`` call this too)
            return
        super()._load_form_data()
        self.__dict__["form"] = _cleaned(self.__dict__["form"])

    @cached_property
    def args(self) -> ImmutableMultiDict:  # type: ignore[override]
        return _cleaned(super().args)
