"""How the adjusted comparison and the target trial name their covariates, terms and estimands, in a language.

The panels (app/components/adjusted.py, app/components/emulation.py) and their refusals and notes
(app/i18n/refusals.py) all name them the same way, so the names live here, below all three.
"""

from __future__ import annotations

from analysis.schema import column_label
from app.components.palette import level_name
from app.i18n import N_, Lang, t, tr
from app.views import COX_CANDIDATES

_EXTRA_LABELS: dict[str, str] = {
    "child_pugh_score": N_("Child-Pugh score"),
    "albi_score": N_("ALBI score"),
    "start_year": N_("Year of first-line start"),
}
COVARIATES: dict[str, str] = {
    column: COX_CANDIDATES.get(column) or _EXTRA_LABELS[column]
    for column in (
        "age", "child_pugh_score", "albi_score", "bclc", "afp_high", "ecog", "mvi", "ehs", "etiology", "sex", "fib4",
        "start_year",
    )
}  # fmt: skip
"""Covariates the panel offers (column -> label), in menu order."""
ESTIMAND_CHOICES: dict[str, str] = {"ate": N_("ATE (IPTW)"), "att": N_("ATT"), "overlap": N_("Overlap")}


def term_label(term: str, lang: Lang = "en") -> str:
    """'bclc=B' -> 'BCLC stage = B'; 'age' -> 'Age' (in ``lang``)."""
    column, _, level = term.partition("=")
    name = tr(lang, COVARIATES.get(column, column))
    return t(lang, "{name} = {level}", name=name, level=level_name(column, level, lang)) if level else name


def covariate_text(code: str, lang: Lang = "en") -> str:
    """A weight-model covariate ("child_pugh_score_pd>=7", "log10(1+afp_pd)") by its label in ``lang``."""
    if lang == "en":
        return code
    if code.startswith("log10(1+") and code.endswith(")"):
        return t(lang, "log10(1 + {name})", name=tr(lang, column_label(code[8:-1])))
    name, sep, cut = code.partition(">=")
    label = tr(lang, column_label(name))
    return t(lang, "{name} ≥ {cut}", name=label, cut=cut) if sep else label
