"""The global filter panel: one control per FilterSpec field, and the two-way mapping between them."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from analysis.filters import FilterSpec
from analysis.schema import ALBI_GRADES, BCLC_STAGES, CHILD_PUGH_CLASSES, ECOG_VALUES, ETIOLOGIES, RESPONSES
from app.components.palette import level_label
from app.i18n import N_, Lang, t
from app.ids import Ids

YEAR_RANGE: tuple[int, int] = (2009, 2026)
AGE_RANGE: tuple[int, int] = (18, 100)

FILTER_CONTROLS: tuple[Ids, ...] = (
    Ids.F_FIRST_LINE,
    Ids.F_PP,
    Ids.F_ICI,
    Ids.F_BCLC,
    Ids.F_CHILD_PUGH,
    Ids.F_ALBI,
    Ids.F_ETIOLOGY,
    Ids.F_ECOG,
    Ids.F_CENTER,
    Ids.F_YEAR,
    Ids.F_AGE,
    Ids.F_RESPONSE,
    Ids.F_PROGRESSED,
)
"""Control ids in the order :func:`controls_from_spec` returns their values."""

PP_CHOICES: tuple[tuple[str, str], ...] = (
    ("any", N_("Any")),
    ("none", N_("None")),
    ("received", N_("Received")),
    ("tki", "TKI / MTA"),
    ("ici", "ICI"),
    ("locoregional", N_("Locoregional")),
    ("other", N_("Other")),
)
ICI_CHOICES: tuple[tuple[str, str], ...] = (("any", N_("Any")), ("yes", N_("Yes")), ("no", N_("No")))


def _multi(
    lang: Lang, id_: Ids, values: tuple[str, ...], placeholder: str, grouping: str | None = None
) -> dcc.Dropdown:
    return dcc.Dropdown(
        id=id_,
        options=[{"label": level_label(grouping, v, lang), "value": v} for v in values],
        multi=True,
        placeholder=placeholder,
        value=[],
    )


def _labelled(label: str, control: Any) -> html.Div:
    return html.Div([dbc.Label(label, className="fw-semibold small mb-1"), control], className="mb-2")


def filter_panel(first_lines: tuple[str, ...], centers: tuple[str, ...], lang: Lang = "en") -> html.Div:
    """The panel's controls in ``lang``; their values are set from the URL by the shell's callback."""
    return html.Div(
        [
            _labelled(
                t(lang, "First-line drug"),
                dbc.RadioItems(
                    id=Ids.F_FIRST_LINE,
                    options=[{"label": t(lang, "Both"), "value": "all"}]
                    + [{"label": level_label("first_line", d, lang), "value": d} for d in first_lines],
                    value="all",
                    inline=True,
                ),
            ),
            _labelled(
                t(lang, "Post-progression therapy"),
                dcc.Dropdown(
                    id=Ids.F_PP,
                    options=[{"label": t(lang, lab), "value": v} for v, lab in PP_CHOICES],
                    value="any",
                    clearable=False,
                ),
            ),
            _labelled(
                t(lang, "ICI after progression"),
                dbc.RadioItems(
                    id=Ids.F_ICI,
                    options=[{"label": t(lang, lab), "value": v} for v, lab in ICI_CHOICES],
                    value="any",
                    inline=True,
                ),
            ),
            _labelled(t(lang, "BCLC stage"), _multi(lang, Ids.F_BCLC, BCLC_STAGES, t(lang, "all stages"), "bclc")),
            _labelled(
                t(lang, "Child-Pugh class"),
                _multi(lang, Ids.F_CHILD_PUGH, CHILD_PUGH_CLASSES, t(lang, "all"), "child_pugh_class"),
            ),
            _labelled(t(lang, "ALBI grade"), _multi(lang, Ids.F_ALBI, ALBI_GRADES, t(lang, "all"), "albi_grade")),
            _labelled(t(lang, "Etiology"), _multi(lang, Ids.F_ETIOLOGY, ETIOLOGIES, t(lang, "all"), "etiology")),
            _labelled(
                t(lang, "ECOG PS"), _multi(lang, Ids.F_ECOG, tuple(str(e) for e in ECOG_VALUES), t(lang, "all"), "ecog")
            ),
            _labelled(t(lang, "Centre"), _multi(lang, Ids.F_CENTER, centers, t(lang, "all centres"))),
            _labelled(
                t(lang, "First-line start year"),
                dcc.RangeSlider(
                    id=Ids.F_YEAR,
                    min=YEAR_RANGE[0],
                    max=YEAR_RANGE[1],
                    step=1,
                    value=list(YEAR_RANGE),
                    marks={y: str(y) for y in YEAR_RANGE},  # the ends only: the boxes show the values
                    tooltip={"placement": "bottom", "always_visible": False},
                ),
            ),
            _labelled(
                t(lang, "Age (years)"),
                dcc.RangeSlider(
                    id=Ids.F_AGE,
                    min=AGE_RANGE[0],
                    max=AGE_RANGE[1],
                    step=1,
                    value=list(AGE_RANGE),
                    marks={a: str(a) for a in AGE_RANGE},
                    tooltip={"placement": "bottom", "always_visible": False},
                ),
            ),
            _labelled(t(lang, "Best response (first line)"), _multi(lang, Ids.F_RESPONSE, RESPONSES, t(lang, "all"))),
            _labelled(
                t(lang, "Progressed on first line"),
                dbc.RadioItems(
                    id=Ids.F_PROGRESSED,
                    options=[{"label": t(lang, lab), "value": v} for v, lab in ICI_CHOICES],
                    value="any",
                    inline=True,
                ),
            ),
            dbc.Button(
                t(lang, "Reset filters"), id=Ids.RESET, color="secondary", outline=True, size="sm", className="mt-2"
            ),
        ],
        className="filter-panel",
    )


def _range_or_none(value: list[float] | None, full: tuple[int, int]) -> tuple[float, float] | None:
    if not value or len(value) != 2:
        return None
    low, high = float(value[0]), float(value[1])
    if low <= full[0] and high >= full[1]:
        return None
    return (low, high)


def spec_from_controls(values: tuple[Any, ...]) -> FilterSpec:
    """Build the spec from control values given in FILTER_CONTROLS order."""
    first_line, pp, ici, bclc, child_pugh, albi, etiology, ecog, center, year, age, response, progressed = values
    year_range = _range_or_none(year, YEAR_RANGE)
    return FilterSpec.create(
        first_line=() if first_line in (None, "all") else (first_line,),
        pp=pp or "any",
        ici=ici or "any",
        bclc=tuple(bclc or ()),
        child_pugh=tuple(child_pugh or ()),
        albi=tuple(albi or ()),
        etiology=tuple(etiology or ()),
        ecog=tuple(int(e) for e in (ecog or ())),
        center=tuple(center or ()),
        start_year=None if year_range is None else (int(year_range[0]), int(year_range[1])),
        age=_range_or_none(age, AGE_RANGE),
        response=tuple(response or ()),
        progressed=progressed or "any",
    )


def controls_from_spec(spec: FilterSpec) -> tuple[Any, ...]:
    """Control values, in FILTER_CONTROLS order, that display ``spec``."""
    first_line = spec.first_line[0] if len(spec.first_line) == 1 else "all"
    return (
        first_line,
        spec.pp,
        spec.ici,
        list(spec.bclc),
        list(spec.child_pugh),
        list(spec.albi),
        list(spec.etiology),
        [str(e) for e in spec.ecog],
        list(spec.center),
        list(spec.start_year) if spec.start_year else list(YEAR_RANGE),
        list(spec.age) if spec.age else list(AGE_RANGE),
        list(spec.response),
        spec.progressed,
    )
