"""Learner text made safe for the files an instructor opens: a spreadsheet (CSV), a Markdown report, a terminal."""
from __future__ import annotations

import csv
import html
import io
import re
import unicodedata

MAX_CHARS = 10_000  # a cell's text: an explanation's longest (10,000) fits; a spreadsheet cell holds 32,767
CUT = " ... (cut: {n:,} characters in all; the full text stays in the file the learner wrote)"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")  # a plain number is data, never a formula
# what Markdown turns into markup inside a line: emphasis, code, links, table cells, strikethrough
MARKDOWN_ACTIVE = re.compile(r"([\\`*_\[\]|~])")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # every control character but tab and line breaks
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")  # embeddings, overrides, isolates: text shown reordered
SURROGATE = re.compile("[\ud800-\udfff]")  # half a character: not text, and no file could hold it
LINE_BREAK = re.compile("[\t\r\n\u2028\u2029]")  # what a one-line text shows as a space


def visible(value) -> str:
    """Text with nothing hidden in it: control characters (tab and line breaks kept) and bidirectional overrides
    removed, a lone half of a character replaced by U+FFFD."""
    text = str(value)
    if text.isprintable():  # nothing hidden (the common case, and a fast one)
        return text
    return SURROGATE.sub("\ufffd", BIDI.sub("", CONTROL.sub("", text)))


def cut(text: str, limit: int = MAX_CHARS) -> str:
    """At most `limit` characters; a longer text ends with a marker that says it was cut and how long it was."""
    if len(text) <= limit:
        return text
    marker = CUT.format(n=len(text))
    return text[: limit - len(marker)] + marker


def _looks_like_formula(text: str) -> bool:
    """Starts a formula, once whatever a reader cannot see (spaces, zero-width and format characters) is skipped."""
    if text.startswith(FORMULA_START):
        return True
    if text[:1].isprintable() and not text[:1].isspace():  # the first character shows: it decides
        return False
    first = next((c for c in text if not c.isspace() and unicodedata.category(c) != "Cf"), "")
    return first in FORMULA_START


def csv_cell(value):
    """A cell a spreadsheet opens as written: numbers as they are; text visible(), cut to MAX_CHARS, and, when
    a spreadsheet would run it as a formula, with a leading single quote (OWASP's rule).

    Text that is just a number such as "-12" gets no quote: it cannot run anything, and a quote would make a
    learner's -12 read as text."""
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = visible(value)
    quote = "'" if _looks_like_formula(text) and not NUMBER.fullmatch(text.strip()) else ""
    return quote + cut(text, MAX_CHARS - len(quote))


def csv_text(columns: list[str], rows: list[dict]) -> str:
    """A CSV with a header, every cell through csv_cell: it reads back with Python's csv at its default limits."""
    out = io.StringIO()
    w = csv.DictWriter(out, columns, lineterminator="\n")
    w.writeheader()
    w.writerows({k: csv_cell(v) for k, v in r.items()} for r in rows)
    return out.getvalue()


def one_line(value) -> str:
    """Learner text on one line for a terminal or a log: visible(), line breaks and tabs as spaces, cut."""
    return cut(LINE_BREAK.sub(" ", visible(value)))


def markdown_text(value) -> str:
    """Learner text as inert Markdown on one line: one_line(), HTML escaped, Markdown's markup characters escaped."""
    text = html.escape(one_line(value), quote=True)
    return MARKDOWN_ACTIVE.sub(r"\\\1", text)
