"""The immortal-time caveats (:mod:`analysis.caveats`, the one rule) in the interface language.

The analysis layer stays English and pure; its :class:`~analysis.caveats.Caveat` carries codes (the variable, the
endpoint, when the variable becomes known, the kind of corrected counterpart), so the app words each caveat here
from those codes, as whole sentences with placeholders. ``tests/test_i18n.py`` checks that every phrase of the rule
(:data:`analysis.caveats.POST_BASELINE`, :data:`analysis.caveats.ENDPOINT_TIME_ZERO`) is marked here.
"""

from __future__ import annotations

from collections.abc import Iterable

from analysis.caveats import ENDPOINT_TIME_ZERO, Caveat
from analysis.schema import column_label
from app.i18n import N_, Lang, join_list, t, tr

RULE_PHRASES: tuple[str, ...] = (
    # when a variable becomes known (PostBaseline.known_at)
    N_("post-progression therapy starts"),
    N_("an ICI starts after progression"),
    N_("post-progression therapy (ICI or other) starts"),
    N_("the first-line response is assessed"),
    N_("the disease progresses"),
    # each endpoint's time zero (ENDPOINT_TIME_ZERO)
    N_("first-line start"),
    N_("progression"),
    N_("time zero"),
)
"""The rule's English phrases, marked for extraction; :func:`caveat_text` translates them where they are shown."""


def variable_name(lang: Lang, variable: str) -> str:
    """A caveat's variable as the user reads it: its data-dictionary label, translated."""
    return tr(lang, column_label(variable))


def caveat_text(found: Caveat, lang: Lang) -> str:
    """Why the naive comparison is biased (:attr:`Caveat.text`), without its "Immortal-time bias:" heading."""
    return t(
        lang,
        "{variable} is known only when {known_at}, after this endpoint's time zero ({zero}). Patients must survive "
        "until then to be counted in one group, so the naive comparison credits that waiting time to it and "
        "flatters it even when it does nothing.",
        variable=variable_name(lang, found.variable),
        known_at=tr(lang, found.known_at),
        zero=tr(lang, ENDPOINT_TIME_ZERO.get(found.endpoint, "time zero")),
    )


def counterpart_text(found: Caveat, lang: Lang, below: bool = False) -> str:
    """The corrected counterpart (:attr:`Caveat.counterpart`) as one sentence; ``below``: the page shows it below."""
    if found.kind == "time_varying":
        exposure = variable_name(lang, found.exposure or found.variable)
        if below:
            return t(
                lang,
                "Corrected counterpart (below): a Cox model with {exposure} as a time-varying covariate (switched "
                "on at the start of the therapy), and landmark and Simon–Makuch analyses.",
                exposure=exposure,
            )
        return t(
            lang,
            "Corrected counterpart: a Cox model with {exposure} as a time-varying covariate (switched on at the "
            "start of the therapy), and landmark and Simon–Makuch analyses.",
            exposure=exposure,
        )
    if found.kind == "os_only":
        return t(
            lang,
            "No time-varying counterpart for this endpoint here; read it beside the time-varying Cox model for OS "
            "and do not read the difference as an effect of the therapy.",
        )
    return t(
        lang,
        "No time-varying counterpart can be built (the data have no date for it); the usual correction is a "
        "landmark analysis at the time it becomes known.",
    )


def known_when(found: Caveat, lang: Lang, label: str | None = None) -> str:
    """One list line: the variable (``label`` if given) and when it becomes known."""
    return t(
        lang,
        "{variable}: known only when {known_at}.",
        variable=label if label is not None else variable_name(lang, found.variable),
        known_at=tr(lang, found.known_at),
    )


def footer(found: Iterable[Caveat], lang: Lang = "en") -> str | None:
    """:func:`analysis.caveats.footer_text` in ``lang`` (an export's footer, a slide's note)."""
    found = tuple(found)
    if not found:
        return None
    return t(
        lang,
        "Caveat: {names} defined after time zero (immortal-time bias); the naive comparison flatters the exposed "
        "group. See the time-varying / landmark analyses.",
        names=join_list(lang, (variable_name(lang, c.variable) for c in found)),
    )
