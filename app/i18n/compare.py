"""Why a survival comparison has no p-value, in the interface language.

:func:`analysis.compare.compare_survival` refuses an undefined comparison with an
:class:`analysis.errors.UndefinedComparisonError` worded by a template (:data:`analysis.compare.UNDEFINED_TEMPLATES`,
marked here in :data:`TEMPLATES`; a test keeps the two equal); :attr:`app.views.SurvivalView.test_wording` nests it
in :data:`app.views.NO_P_VALUE`. The one group a comparison found is named by its label.
"""

from __future__ import annotations

from analysis.messages import Message
from app.components.palette import level_label
from app.i18n import N_, Lang, t

TEMPLATES: tuple[str, ...] = (
    N_("a comparison needs at least two groups with patients (only {group!r})"),
    N_("a comparison needs at least two groups with patients"),
    N_("no patient has an event, so survival cannot be compared between groups"),
    N_("fewer than two groups have patients at risk when events happen, so the groups cannot be compared"),
    N_(
        "the comparison is undefined: its variance is zero (at every event time everyone at risk had the event, "
        "e.g. with delayed entry in a small sample), so there is no chi-square and no p-value"
    ),
    N_("the trend test is undefined: the scores do not vary among groups at risk"),
)
"""Every template of :data:`analysis.compare.UNDEFINED_TEMPLATES`, as literal strings pybabel extracts."""


def word(lang: Lang, message: Message, grouping: str | None) -> str:
    """``message`` in ``lang`` (English: exactly its text), a nested reason worded in turn, a group by its label."""
    if lang == "en":
        return message.text()
    params: dict[str, object] = {}
    for key, value in message.params:
        if isinstance(value, Message):
            params[key] = word(lang, value, grouping)
        elif key == "group":
            params[key] = level_label(grouping, str(value), lang)
        else:
            params[key] = value
    return t(lang, message.template, **params)
