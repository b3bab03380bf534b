"""The global filter panel: one control per FilterSpec field, and the two-way mapping between them."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from analysis.filters import FilterSpec
from analysis.schema import ALBI_GRADES, BCLC_STAGES, CHILD_PUGH_CLASSES, ECOG_VALUES, ETIOLOGIES, RESPONSES
from app.components.palette import level_label
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
    ("any", "Any"),
    ("none", "None"),
    ("received", "Received"),
    ("tki", "TKI / MTA"),
    ("ici", "ICI"),
    ("locoregional", "Locoregional"),
    ("other", "Other"),
)
ICI_CHOICES: tuple[tuple[str, str], ...] = (("any", "Any"), ("yes", "Yes"), ("no", "No"))


def _multi(id_: Ids, values: tuple[str, ...], placeholder: str, grouping: str | None = None) -> dcc.Dropdown:
    return dcc.Dropdown(
        id=id_,
        options=[{"label": level_label(grouping, v), "value": v} for v in values],
        multi=True,
        placeholder=placeholder,
        value=[],
    )


def _labelled(label: str, control: Any) -> html.Div:
    return html.Div([dbc.Label(label, className="fw-semibold small mb-1"), control], className="mb-2")


def filter_panel(first_lines: tuple[str, ...], centers: tuple[str, ...]) -> html.Div:
    """The panel's controls; their values are set from the URL by the shell's callback."""
    return html.Div(
        [
            _labelled(
                "First-line drug",
                dbc.RadioItems(
                    id=Ids.F_FIRST_LINE,
                    options=[{"label": "Both", "value": "all"}]
                    + [{"label": level_label("first_line", d), "value": d} for d in first_lines],
                    value="all",
                    inline=True,
                ),
            ),
            _labelled(
                "Post-progression therapy",
                dcc.Dropdown(
                    id=Ids.F_PP,
                    options=[{"label": lab, "value": v} for v, lab in PP_CHOICES],
                    value="any",
                    clearable=False,
                ),
            ),
            _labelled(
                "ICI after progression",
                dbc.RadioItems(
                    id=Ids.F_ICI,
                    options=[{"label": lab, "value": v} for v, lab in ICI_CHOICES],
                    value="any",
                    inline=True,
                ),
            ),
            _labelled("BCLC stage", _multi(Ids.F_BCLC, BCLC_STAGES, "all stages", "bclc")),
            _labelled("Child-Pugh class", _multi(Ids.F_CHILD_PUGH, CHILD_PUGH_CLASSES, "all", "child_pugh_class")),
            _labelled("ALBI grade", _multi(Ids.F_ALBI, ALBI_GRADES, "all", "albi_grade")),
            _labelled("Etiology", _multi(Ids.F_ETIOLOGY, ETIOLOGIES, "all")),
            _labelled("ECOG PS", _multi(Ids.F_ECOG, tuple(str(e) for e in ECOG_VALUES), "all", "ecog")),
            _labelled("Centre", _multi(Ids.F_CENTER, centers, "all centres")),
            _labelled(
                "First-line start year",
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
                "Age (years)",
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
            _labelled("Best response (first line)", _multi(Ids.F_RESPONSE, RESPONSES, "all")),
            _labelled(
                "Progressed on first line",
                dbc.RadioItems(
                    id=Ids.F_PROGRESSED,
                    options=[{"label": lab, "value": v} for v, lab in ICI_CHOICES],
                    value="any",
                    inline=True,
                ),
            ),
            dbc.Button("Reset filters", id=Ids.RESET, color="secondary", outline=True, size="sm", className="mt-2"),
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
