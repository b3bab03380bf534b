"""Text width estimates, so figures and slides size their margins and boxes from their own labels.

Widths are per character class, calibrated on DejaVu Sans (the widest sans-serif a Debian server or
export browser falls back to), so an estimate errs on the wide side for Arial, Helvetica or Liberation
Sans. East Asian wide and full-width characters (Japanese, Chinese, Korean) count as one em, about
twice a Latin letter.
"""

from __future__ import annotations

import html
import re
import unicodedata

from app.components.linebreak import break_units, has_japanese, is_wide, may_ever_break

_NARROW = frozenset(" .,:;'|!()[]ijlft-")
_WIDE = frozenset("mwMW%@")
_SYMBOL = frozenset("+=<>~^#&")
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def char_em(char: str) -> float:
    """Advance width of one character in em (font size = 1)."""
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    if char in _NARROW:
        return 0.36
    if char in _WIDE:
        return 0.97
    if char in _SYMBOL:
        return 0.84
    if char.isdigit():
        return 0.64
    if char.isupper():
        return 0.72
    return 0.62


def monospace_columns(text: str) -> int:
    """Width of ``text`` in fixed-width columns, as a spreadsheet sizes a column: a wide (Japanese) character takes
    two, any other one."""
    return sum(2 if is_wide(char) else 1 for char in text)


def lines_of(text: str) -> list[str]:
    """The text's lines as drawn: ``<br>`` breaks lines, other tags (``<b>``, ``<span>``) take no room and an
    entity (``&amp;``, as :func:`app.components.text.plain` writes user text) is one character."""
    return [html.unescape(_TAG.sub("", line)) for line in _BREAK.split(text or "")]


def text_width_px(text: str, font_px: float) -> float:
    """Estimated width in px of ``text`` (its longest line) at ``font_px``."""
    return max((sum(char_em(c) for c in line) for line in lines_of(text)), default=0.0) * font_px


def text_width_in(text: str, font_pt: float) -> float:
    """Estimated width in inches of ``text`` at ``font_pt`` points (for slides)."""
    return text_width_px(text, font_pt) / 72.0


def wrap_to_width(text: str, width_px: float, font_px: float) -> list[str]:
    """Greedy wrap of ``text`` into lines no wider than ``width_px``: between words, and in Japanese between
    phrases by its line-breaking rules (:mod:`app.components.linebreak`). A word longer than the line stays whole; a
    Japanese phrase longer than the line breaks at its spaces, then between characters."""
    if has_japanese(text or ""):
        return [line.rstrip() for line in wrap_japanese(text, width_px, font_px)]
    lines: list[str] = []
    current = ""
    for word in (text or "").split():
        candidate = f"{current} {word}" if current else word
        if current and text_width_px(candidate, font_px) > width_px:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current or not lines:
        lines.append(current)
    return lines


def wrap_japanese(text: str, width_px: float, font_px: float) -> list[str]:
    """The lines of Japanese ``text`` (whitespace runs as one space), each with the space it broke at:
    ``"".join`` gives the text back (a slide keeps it, so its text reads whole; a figure drops it)."""
    text = " ".join(text.split())
    lines: list[str] = []
    current = ""
    for unit in _fitting_units(text, width_px, font_px):
        if current.strip() and text_width_px((current + unit).rstrip(), font_px) > width_px:
            lines.append(current)
            current = unit
        else:
            current += unit
    lines.append(current)
    return lines


def _fitting_units(text: str, width_px: float, font_px: float) -> list[str]:
    """The text's break units (phrases), each too wide for a line cut where the rules let any line break."""
    out: list[str] = []
    for unit in break_units(text):
        if text_width_px(unit.rstrip(), font_px) <= width_px:
            out.append(unit)
            continue
        start = previous = 0
        for cut in [*(i for i in range(1, len(unit)) if may_ever_break(unit, i)), len(unit)]:
            if previous > start and text_width_px(unit[start:cut].rstrip(), font_px) > width_px:
                out.append(unit[start:previous])
                start = previous
            previous = cut
        out.append(unit[start:])
    return out


def longest_word_px(text: str, font_px: float) -> float:
    """The widest space-separated piece (a Japanese cell's is most of it: slide tables share their width by it)."""
    return max((text_width_px(word, font_px) for word in (text or "").split()), default=0.0)
