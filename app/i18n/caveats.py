"""The immortal-time caveats (:mod:`analysis.caveats`, the one rule) in the interface language.

The analysis layer stays English and pure; its :class:`~analysis.caveats.Caveat` carries the variable's code, so
the app words the caveat from that code here, as one whole sentence with placeholders.
"""

from __future__ import annotations

from collections.abc import Iterable

from analysis.caveats import Caveat, footer_text
from app.i18n import Lang, t


def footer(found: Iterable[Caveat], lang: Lang = "en") -> str | None:
    """:func:`analysis.caveats.footer_text` in ``lang`` (an export's footer, a slide's note)."""
    found = tuple(found)
    if lang == "en" or not found:
        return footer_text(found)
    return t(
        lang,
        "Caveat: {names} defined after time zero (immortal-time bias); the naive comparison flatters the exposed "
        "group. See the time-varying / landmark analyses.",
        names=", ".join(c.variable for c in found),
    )
