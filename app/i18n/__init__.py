"""The translation layer: every user-facing string goes through :func:`t` / :func:`tn` with an explicit language.

The language is an argument, never a request-bound global: figure builders, exports, background jobs and the CLI
(``ppx export --lang ja``) have no request. In the web app the language comes from the URL (``lang=ja``, kept by
:mod:`app.urlstate` so a copied link keeps it), else from the browser's Accept-Language; see :func:`request_lang`.

Catalogs are gettext: ``app/i18n/messages.pot`` is extracted from the code by ``pybabel extract`` (``make i18n``;
keywords ``t:2``, ``tn:2,3`` and the no-op marker ``N_`` for module-level constants translated at render time),
``app/i18n/ja/LC_MESSAGES/messages.po`` holds the Japanese, and is read at first use with Babel's ``read_po``
(no compiled ``.mo`` to fall out of date). Messages are whole sentences with named placeholders
(``t(lang, "n = {n} of {total} patients", n=..., total=...)``), never concatenated fragments.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from functools import cache
from gettext import c2py
from pathlib import Path
from typing import Final, Literal, cast
from urllib.parse import parse_qs, urlsplit

from babel import Locale
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

Lang = Literal["en", "ja"]
LANGS: Final[tuple[Lang, ...]] = ("en", "ja")
DEFAULT_LANG: Final[Lang] = "en"
LANG_NAMES: Final[dict[Lang, str]] = {"en": "English", "ja": "日本語"}
"""Each language named in itself (the navbar's switch)."""

CATALOG_DIR: Final[Path] = Path(__file__).resolve().parent
DOMAIN: Final[str] = "messages"


def po_path(lang: Lang) -> Path:
    return CATALOG_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalog(lang: Lang) -> Catalog | None:
    """The parsed catalog of ``lang`` (None for English, the source language). Read once per process."""
    if lang == DEFAULT_LANG:
        return None
    with po_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang)


def normalise(lang: object) -> Lang:
    """Any value (URL parameter, CLI option) to a supported language; unknown values fall back to English."""
    text = str(lang or "").strip().lower().replace("_", "-")
    base = text.split("-", 1)[0]
    return next((code for code in LANGS if code == base), DEFAULT_LANG)


def N_(msgid: str) -> str:
    """Mark a module-level constant for extraction; translate it where it is shown with :func:`t`."""
    return msgid


def _lookup(lang: Lang, msgid: str) -> str | tuple[str, ...] | None:
    cat = catalog(lang)
    if cat is None:
        return None
    message = cat.get(msgid)
    if message is None or not message.string or message.fuzzy:
        return None
    return cast("str | tuple[str, ...]", message.string)


def t(lang: Lang, msgid: str, **params: object) -> str:
    """``msgid`` in ``lang``, with ``{name}`` placeholders filled from ``params`` (English when untranslated)."""
    found = _lookup(lang, msgid)
    text = found if isinstance(found, str) else msgid
    return text.format(**params) if params else text


def tn(lang: Lang, singular: str, plural: str, n: int, **params: object) -> str:
    """Plural-aware :func:`t`: the catalog's plural rule for ``lang`` picks the form; ``{n}`` is always available."""
    cat = catalog(lang)
    found = cat.get((singular, plural)) if cat is not None else None
    if cat is not None and found is not None and isinstance(found.string, tuple) and all(found.string):
        index = int(c2py(cat.plural_expr)(n))
        text = found.string[min(index, len(found.string) - 1)]
    else:
        text = singular if n == 1 else plural
    return text.format(n=n, **params)


def tr(lang: Lang, text: str) -> str:
    """Translate a value that may or may not be a message id (labels passed around as data)."""
    return t(lang, text) if text else text


def number(lang: Lang, value: float, fmt: str | None = None) -> str:
    """A number in ``lang``'s conventions (Babel's ``format_decimal``)."""
    return str(format_decimal(value, format=fmt, locale=Locale.parse(lang)))


def date(lang: Lang, value: _dt.date) -> str:
    """A date as ``lang`` writes it: 2020年3月1日 in Japanese, Mar 1, 2020 in English."""
    return str(format_date(value, format="long" if lang == "ja" else "medium", locale=Locale.parse(lang)))


def from_accept_language(header: str | None) -> Lang:
    """The best supported language in an Accept-Language header (quality-ordered), else English."""
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, rest = part.strip().partition(";")
        quality = 1.0
        if rest.strip().startswith("q="):
            try:
                quality = float(rest.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            choices.append((-quality, index, tag))
    for _q, _i, tag in sorted(choices):
        if tag != "*" and normalise(tag) == tag.lower().split("-")[0]:
            return normalise(tag)
    return DEFAULT_LANG


def lang_of_search(search: str | None) -> Lang | None:
    """The ``lang=`` of a query string, if it names one."""
    values = parse_qs((search or "").lstrip("?")).get("lang")
    return normalise(values[-1]) if values else None


def lang_of(search: str | None) -> Lang:
    """The language of a view: its URL's ``lang=``, else the current request's (callbacks that have the search,
    background jobs included, whose worker has no request)."""
    return lang_of_search(search) or request_lang()


def keep_lang(path: str) -> str:
    """``path`` with the current page's ``lang=`` (a reload or redirect by a callback keeps the language)."""
    from flask import has_request_context, request

    found = None
    if has_request_context() and request.referrer:
        found = lang_of_search(urlsplit(request.referrer).query)
    return path if found is None else f"{path}?lang={found}"


def request_lang() -> Lang:
    """The language of the current web request.

    The URL decides: ``lang=`` in the request's own query (the page itself), else in the page URL that Dash's
    layout and callback requests come from (their ``Referer``; the app sends ``Referrer-Policy: same-origin``, so
    same-origin requests carry the full page URL, the one dcc.Location keeps current). Without ``lang=`` the
    browser's Accept-Language decides. Outside a request (CLI, tests, workers): English.
    """
    from flask import has_request_context, request

    if not has_request_context():
        return DEFAULT_LANG
    own = request.args.get("lang")
    if own:
        return normalise(own)
    referrer = request.referrer
    if referrer:
        from_page = lang_of_search(urlsplit(referrer).query)
        if from_page is not None:
            return from_page
    return from_accept_language(request.headers.get("Accept-Language"))


_LIST_SEPARATOR: Final[dict[Lang, str]] = {"en": ", ", "ja": "、"}
_SENTENCE_SEPARATOR: Final[dict[Lang, str]] = {"en": " ", "ja": ""}
_CLAUSE_SEPARATOR: Final[dict[Lang, str]] = {"en": "; ", "ja": "；"}


def join_list(lang: Lang, items: Iterable[str]) -> str:
    """Items of an enumeration as ``lang`` separates them ("a, b" / "a、b")."""
    return _LIST_SEPARATOR[lang].join(items)


def join_sentences(lang: Lang, sentences: Iterable[str | None]) -> str:
    """Whole sentences, each already translated, one after another (a space in English, none in Japanese)."""
    return _SENTENCE_SEPARATOR[lang].join(s for s in sentences if s)


def join_clauses(lang: Lang, clauses: Iterable[str]) -> str:
    """Clauses of one note, each already translated ("a; b" / "a；b")."""
    return _CLAUSE_SEPARATOR[lang].join(clauses)
