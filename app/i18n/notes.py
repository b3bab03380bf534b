"""Analysis notes (Table 1's, the Response page's) in the interface language.

:class:`analysis.table1.Table1` and :class:`analysis.response.ResponseResult` keep their notes in English (what
``ppx`` prints) and, beside them, as :class:`analysis.messages.Message` templates and parameters: here the template is
the message id (marked in :data:`TEMPLATES`), a column code is named by its label, the spreadsheet rows are worded
again from their numbers, and a reason that is itself a message id is translated.
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.messages import Message
from analysis.response import FISHER_MONTE_CARLO_REASON
from analysis.schema import column_label
from app.i18n import N_, Lang, t, tr

TEMPLATES: tuple[str, ...] = (
    N_("No test for {column}: {reason}."),
    N_("{n} patient(s) without a recorded {column} excluded ({rows})."),
    N_("{n} patient(s) without a value of {column} excluded ({rows})."),
    N_("{label}: {reason}."),
    N_("Group {group} has no evaluable patients; its rates are undefined."),
    N_("Fewer than two groups: no tests and no SMD."),
    N_("SMD is shown for two groups only."),
    N_("Percentages are of patients with a recorded value; quartiles as R quantile(type = 7)."),
)
"""The analysis templates with parameters or not yet in the catalog (the Response page's fixed notes are in
:mod:`app.components.response_figures`)."""
REASONS: tuple[str, ...] = (
    N_("too few values in the groups"),
    N_("objective response"),
    N_("disease control"),
    N_("a test needs at least two groups with patients and at least two outcomes that occur"),
)
"""Reasons and outcomes that fill ``{reason}`` / ``{column}``, marked for extraction."""


WORDED_AS: dict[str, str] = {
    FISHER_MONTE_CARLO_REASON: N_(
        "an expected count < {minimum} ({smallest}); Fisher's test, two-sided, with the p-value simulated from "
        "{replicates} random tables with the same margins (seed {seed}), because the exact enumeration of this "
        "table takes too long"
    ),
}
"""Templates a translation words by another message id: the Monte-Carlo reason as the Response page words it
(without R's call, which the Methods page gives)."""


def _rows(lang: Lang, n: int, row_list: str, more: int) -> str:
    if more:
        return t(lang, "rows {rows} and {more} more", rows=row_list, more=more)
    return t(lang, "row {rows}", rows=row_list) if n == 1 else t(lang, "rows {rows}", rows=row_list)


def word(lang: Lang, message: Message) -> str:
    """One note in ``lang`` (English: exactly the analysis text)."""
    if lang == "en":
        return message.text()
    params = dict(message.mapping)
    if "row_list" in params:
        params["rows"] = _rows(lang, int(str(params["n"])), str(params["row_list"]), int(str(params.get("more", 0))))
    if "column" in params:
        params["column"] = tr(lang, column_label(str(params["column"])))
    for key in ("reason", "label", "group"):
        if key in params:
            value = params[key]
            params[key] = word(lang, value) if isinstance(value, Message) else tr(lang, str(value))
    return t(lang, WORDED_AS.get(message.template, message.template), **params)


def notes(lang: Lang, texts: Sequence[str], messages: Sequence[Message]) -> list[str]:
    """A result's notes in ``lang``: its messages worded, else its English texts looked up as message ids."""
    if messages:
        return [word(lang, m) for m in messages]
    return [tr(lang, text) for text in texts]
