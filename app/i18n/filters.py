"""Filter descriptions (:meth:`analysis.filters.FilterSpec.terms`) in the interface language.

The analysis layer describes a filter in English codes (key, label, values); the app words it here, each
filter's label and values translated, as ``label: values`` joined the way the language joins a list.
``tests/test_i18n.py`` checks that every label of the analysis layer is marked here.
"""

from __future__ import annotations

from analysis.filters import FilterSpec, FilterStep, FilterTerm
from app.components.palette import level_name
from app.i18n import N_, Lang, join_list, t, tr

FILTER_LABELS: tuple[str, ...] = (
    N_("first-line drug"),
    N_("post-progression therapy"),
    N_("ICI after progression"),
    N_("BCLC stage"),
    N_("Child-Pugh class"),
    N_("ALBI grade"),
    N_("etiology"),
    N_("ECOG PS"),
    N_("centre"),
    N_("first-line start year"),
    N_("age"),
    N_("best response"),
    N_("progressed"),
)
""":data:`analysis.filters._LABEL_OF`'s labels, marked for extraction."""


def term_text(term: FilterTerm, lang: Lang = "en") -> str:
    """One filter, e.g. "first-line drug: lenvatinib" / "一次治療薬：レンバチニブ"."""
    if lang == "en":
        return f"{term.label}: {', '.join(term.values)}"
    values = [level_name(term.column, v, lang) if term.column else tr(lang, v) for v in term.values]
    return t(lang, "{label}: {values}", label=tr(lang, term.label), values=join_list(lang, values))


def describe(spec: FilterSpec, lang: Lang = "en") -> str:
    """:meth:`FilterSpec.describe` in ``lang``: every restricting filter, or "all patients"."""
    if lang == "en":
        return spec.describe()
    parts = [term_text(term, lang) for term in spec.terms()]
    return "；".join(parts) if parts else t(lang, "all patients")


def step_label(step: FilterStep, lang: Lang = "en") -> str:
    """A patient-flow step's label in ``lang``."""
    return step.label if step.term is None or lang == "en" else term_text(step.term, lang)
