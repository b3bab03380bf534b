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
    return sum(2 if _wide(char) else 1 for char in text)


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
    """Greedy word wrap of ``text`` into lines no wider than ``width_px`` (a word longer than the line stays whole)."""
    lines: list[str] = []
    current = ""
    for word in _words(text or "", width_px, font_px):
        candidate = f"{current} {word}" if current else word
        if current and text_width_px(candidate, font_px) > width_px:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current or not lines:
        lines.append(current)
    return lines


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _words(text: str, width_px: float, font_px: float) -> list[str]:
    """Words to wrap: spaces separate Latin words; Japanese (no spaces) may break between any two characters."""
    out: list[str] = []
    for word in text.split():
        if text_width_px(word, font_px) <= width_px or not any(_wide(c) for c in word):
            out.append(word)
            continue
        chunk = ""
        for char in word:
            if chunk and text_width_px(chunk + char, font_px) > width_px:
                out.append(chunk)
                chunk = ""
            chunk += char
        out.append(chunk)
    return out


def longest_word_px(text: str, font_px: float) -> float:
    return max((text_width_px(word, font_px) for word in (text or "").split()), default=0.0)
