"""Where export text may break: between words in English, between phrases in Japanese.

Japanese has no spaces between words, so a line may not simply break at a space or at any character. BudouX
(Google's phrase segmenter, a small model shipped with the package) proposes the phrase boundaries, and the
Japanese line-breaking rules (JIS X 4051 *kinsoku*) veto the ones a typesetter would refuse:

- never before closing punctuation or a small kana (、。）」・ー っ …) nor after opening punctuation (（「);
- never between a number and its unit (``6 か月``, ``12 例``, ``95%``), inside a number (``2026``, ``0.4–0.8``)
  or inside a Latin word (BudouX splits ``2026年`` after ``202``);
- never at the space after a Latin term that the Japanese goes on with (``KLC 類似``, ``Cox 回帰``, ``OS の``);
- never inside a run of kanji (a compound noun: BudouX, unsure beside spaces, may split ``全生存期間``), nor on
  either side of ``=`` (``n = 513``);
- always at the footer's `` · `` separators.

Text with no Japanese (no East Asian wide character) breaks at spaces only, as before.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import budoux

CLOSING = frozenset(
    "、。，．,.）)]｝}〕〉》」』】〙〗〟’”｠»・:：;；!！?？%％ー…‥ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ々"
)
"""What may not begin a line."""
OPENING = frozenset("（([｛{〔〈《「『【〘〖〝‘“｟«")
"""What may not end a line."""
UNITS: tuple[str, ...] = ("か月", "カ月", "ヶ月", "ヵ月", "月", "日", "週", "年", "歳", "例")
UNITS += ("人", "回", "件", "名", "時間", "分", "秒", "倍", "点", "位")
"""What follows a number and stays with it."""
SEPARATOR = "·"
DANGLING = frozenset(["a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "vs", "with"])
"""English words a clipped title does not end on ("Medians - Overall survival by")."""


def is_wide(char: str) -> bool:
    """An East Asian wide or full-width character (Japanese, Chinese, Korean)."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def has_japanese(text: str) -> bool:
    return any(is_wide(char) for char in text)


@cache
def _parser() -> budoux.Parser:
    return budoux.load_default_japanese_parser()


def break_units(text: str) -> list[str]:
    """``text`` cut where a line may break; ``"".join`` of the pieces gives ``text`` back. A piece keeps the spaces
    that follow it (a line drops them at its end). English: the words, each with its trailing space."""
    if not text:
        return []
    if not has_japanese(text):
        cuts = [i for i in range(1, len(text)) if text[i - 1] == " " and text[i] != " "]
    else:
        cuts = sorted(i for i in _candidates(text) if _may_break(text, i))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def _candidates(text: str) -> set[int]:
    """BudouX's phrase boundaries, moved past the spaces at them, and the point after each `` · ``."""
    out: set[int] = set()
    position = 0
    for phrase in _parser().parse(text)[:-1]:
        position += len(phrase)
        cut = position
        while cut < len(text) and text[cut] == " ":
            cut += 1
        out.add(cut)
    out |= {i + 2 for i in range(len(text) - 2) if text[i : i + 2] == SEPARATOR + " "}
    return {i for i in out if 0 < i < len(text)}


def _may_break(text: str, i: int) -> bool:
    """May a line end at ``text[:i]`` and the next begin at ``text[i:]`` (at a phrase boundary)?"""
    if not may_ever_break(text, i):
        return False
    before, first = text[:i].rstrip(" "), text[i]
    last, spaced = before[-1], len(before) < i
    if last == SEPARATOR:
        return True
    if spaced and last.isascii() and last.isalnum() and is_wide(first):
        return False
    return not (not spaced and _kanji(last) and _kanji(first))


def may_ever_break(text: str, i: int) -> bool:
    """The rules no line ever breaks: may a line end at ``text[:i]`` even inside a phrase too long for it?"""
    before, after = text[:i].rstrip(" "), text[i:]
    if not before or not after or after[0] == " ":
        return False
    last, first = before[-1], after[0]
    if last == SEPARATOR:
        return True
    if first in CLOSING or first == SEPARATOR or last in OPENING:
        return False
    if "=" in (last, first) or "–" in (last, first) or "-" in (last, first):
        return False
    if last.isdigit() and (first.isdigit() or after.startswith(UNITS)):
        return False
    if len(before) == i and last.isascii() and first.isascii() and last.isalnum() and first.isalnum():
        return False
    return not (last in "かカヶヵ" and first == "月")


def _kanji(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def clip_to_length(text: str, limit: int) -> str:
    """The longest start of ``text`` no longer than ``limit`` characters that ends where a line may break (whole
    words, whole Japanese phrases), without a dangling opening bracket or trailing separator; a first piece longer
    than ``limit`` is cut at ``limit`` (nothing else fits)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    kept = ""
    for unit in break_units(text):
        if len((kept + unit).rstrip()) > limit:
            break
        kept += unit
    kept = _close(kept.rstrip())
    return kept or text[:limit].rstrip()


def _close(text: str) -> str:
    """``text`` without an unclosed bracket's tail (``Emulated trial (grace 3`` → ``Emulated trial``) and without
    trailing punctuation."""
    depth_at: list[int] = []
    for index, char in enumerate(text):
        if char in "(（":
            depth_at.append(index)
        elif char in ")）" and depth_at:
            depth_at.pop()
    if depth_at and text[: depth_at[0]].strip():
        text = text[: depth_at[0]]
    text = text.rstrip(" ,、，:：;；·・-–.。")
    words = text.split(" ")
    while len(words) > 1 and words[-1].casefold() in DANGLING:
        words.pop()
    return " ".join(words).rstrip(" ,:;-–")
