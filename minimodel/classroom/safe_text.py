"""Learner text made safe for the files an instructor opens: a spreadsheet (CSV) and a Markdown report."""
from __future__ import annotations

import html
import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")  # a plain number is data, never a formula
# what Markdown turns into markup inside a line: emphasis, code, links, table cells, strikethrough
MARKDOWN_ACTIVE = re.compile(r"([\\`*_\[\]|~])")


def csv_cell(value):
    """A text cell that a spreadsheet would run as a formula gets a leading single quote (OWASP's rule).

    Numbers, and text that is just a number such as "-12", are left alone: they cannot run anything, and
    a quote would make a learner's -12 read as text."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START) or NUMBER.fullmatch(value):
        return value
    return "'" + value


def csv_row(row: dict) -> dict:
    return {k: csv_cell(v) for k, v in row.items()}


def markdown_text(value) -> str:
    """Learner text as inert Markdown on one line: HTML escaped, Markdown's markup characters escaped."""
    text = html.escape(str(value), quote=True).replace("\r", " ").replace("\n", " ")
    return MARKDOWN_ACTIVE.sub(r"\\\1", text)
