"""Dashboard components and callbacks as plain functions (no browser)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from dash.exceptions import PreventUpdate

from analysis.filters import FilterSpec
from analysis.km import km_by_group
from app import urlstate
from app.components.filter_panel import controls_from_spec, spec_from_controls
from app.components.km_figure import KMFigureOptions, km_figure, risk_rows, tick_times
from app.components.palette import FIXED_COLOURS, group_colour


def _km_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "t": [1.0, 2.5, 3.0, 4.0, 7.5, 8.0, 9.0, 13.0, 15.0, 20.0, 2.0, 5.0, 6.0, 11.0, 14.0, 26.0],
            "e": [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0],
            "first_line": ["sorafenib"] * 10 + ["lenvatinib"] * 6,
        }
    )


def _figure(options: KMFigureOptions) -> tuple[Any, tuple[float, ...]]:
    frame = _km_frame()
    ticks = tick_times(float(frame["t"].max()))
    result = km_by_group(frame, "t", "e", "first_line", times=ticks, group_order=("sorafenib", "lenvatinib"))
    return km_figure(result, "first_line", ticks, options), ticks


def test_tick_times_cover_the_follow_up_in_six_month_steps() -> None:
    assert tick_times(26.0) == (0.0, 6.0, 12.0, 18.0, 24.0, 30.0)
    assert tick_times(0.0) == (0.0,)
    assert tick_times(100.0)[:3] == (0.0, 12.0, 24.0)


def test_km_figure_has_a_curve_band_and_censor_trace_per_group() -> None:
    fig, _ = _figure(KMFigureOptions())
    names = [t.name for t in fig.data if t.name]
    assert "Sorafenib (n = 10)" in names and "Lenvatinib (n = 6)" in names
    curves = [t for t in fig.data if t.name == "Sorafenib (n = 10)" and t.line.shape == "hv"]
    assert len(curves) == 1
    assert curves[0].line.color == FIXED_COLOURS["first_line"]["sorafenib"]
    censor = [t for t in fig.data if t.name and t.name.endswith("censored")]
    assert len(censor) == 2
    assert any(t.fill == "toself" or t.fill == "tonexty" for t in fig.data)


def test_ci_bands_and_censor_ticks_can_be_switched_off() -> None:
    fig, _ = _figure(KMFigureOptions(show_ci=False, show_censor=False))
    assert not any(t.fill in ("toself", "tonexty") for t in fig.data)
    assert not any(t.name and t.name.endswith("censored") for t in fig.data)


def test_risk_table_sits_on_the_x_axis_ticks_and_counts_time_at_least_t() -> None:
    fig, ticks = _figure(KMFigureOptions(show_events_row=True))
    table = [t for t in fig.data if t.mode == "text"]
    assert [list(t.x) for t in table] == [list(ticks)] * len(table)
    assert list(fig.layout.xaxis2.tickvals) == list(ticks) == list(fig.layout.xaxis.tickvals)
    # Sorafenib times: 1, 2.5, 3, 4, 7.5, 8, 9, 13, 15, 20 -> at risk (time >= t) at 0, 6, 12, 18, 24
    sorafenib = next(t for t in table if t.y[0] == "Sorafenib")
    assert list(sorafenib.text) == ["10", "6", "3", "1", "0", "0"]
    events = next(t for t in table if t.y[0] == "Sorafenib: events")
    assert list(events.text) == ["0", "3", "5", "6", "7", "7"]


def test_risk_rows_follow_options() -> None:
    frame = _km_frame()
    ticks = (0.0, 6.0)
    result = km_by_group(frame, "t", "e", "first_line", times=ticks)
    labels = [label for label, _ in risk_rows(result, "first_line", ticks, KMFigureOptions(show_censored_row=True))]
    assert labels == ["Lenvatinib", "Lenvatinib: censored", "Sorafenib", "Sorafenib: censored"]


def test_figure_payload_has_points_only_at_event_times() -> None:
    fig, _ = _figure(KMFigureOptions(show_ci=False, show_censor=False))
    curve = next(t for t in fig.data if t.name == "Sorafenib (n = 10)")
    # origin + 7 distinct event times + last follow-up at 20 (an event) -> 8 points
    assert len(curve.x) == 8
    assert len(json.dumps(fig.to_plotly_json(), default=str)) < 30_000


def test_colours_are_fixed_per_drug_and_class_whatever_the_position() -> None:
    assert group_colour("first_line", "lenvatinib", 0) == group_colour("first_line", "lenvatinib", 5)
    assert group_colour("pp_class", "ici", 0) == FIXED_COLOURS["pp_class"]["ici"]
    assert group_colour("etiology", "HCV", 0) != group_colour("etiology", "HBV", 1)


def test_url_keeps_view_options_when_filters_change_and_vice_versa() -> None:
    search = "?first_line=lenvatinib&endpoint=pfs&group=pp_class"
    new = urlstate.with_filters(search, FilterSpec.create(bclc=["C"]))
    parsed = urlstate.parse(new)
    assert parsed == {"bclc": "C", "endpoint": "pfs", "group": "pp_class"}
    again = urlstate.with_view(new, {"endpoint": "os", "group": None})
    assert urlstate.parse(again) == {"bclc": "C", "endpoint": "os"}
    assert urlstate.filters_of(again) == (FilterSpec.create(bclc=["C"]), ())


def test_view_change_prevents_an_update_when_nothing_changes() -> None:
    with pytest.raises(PreventUpdate):
        urlstate.view_change("?endpoint=os", {"endpoint": "os"})
    assert urlstate.view_change("?endpoint=os", {"endpoint": "pfs"}) == "?endpoint=pfs"


@pytest.mark.parametrize(
    "spec",
    [
        FilterSpec(),
        FilterSpec.create(first_line=["lenvatinib"], pp="ici", ici="yes"),
        FilterSpec.create(bclc=["B", "C"], ecog=[0, 1], center=["KLC-02"], start_year=(2015, 2020), age=(60, 80)),
        FilterSpec.create(response=["PR", "CR"], progressed="yes"),
    ],
)
def test_filter_controls_round_trip(spec: FilterSpec) -> None:
    assert spec_from_controls(controls_from_spec(spec)) == spec


def test_a_sankey_flow_click_narrows_the_global_filter(ppx_app: Any) -> None:
    from app.pages.sequences import apply_flow  # pages register themselves once the app exists

    current = FilterSpec.create(bclc=["C"], first_line=["sorafenib"])
    spec = urlstate.narrow_filters(current, "first_line=lenvatinib&response=PR")
    assert spec == FilterSpec.create(bclc=["C"], first_line=["lenvatinib"], response=["PR"])
    click = {"points": [{"customdata": "progressed=yes&pp=ici"}]}
    search = apply_flow(click, "?bclc=C&endpoint=pfs")
    assert urlstate.parse(search) == {"bclc": "C", "pp": "ici", "progressed": "yes", "endpoint": "pfs"}
    with pytest.raises(PreventUpdate):
        apply_flow({"points": [{"label": "a node, not a flow"}]}, "?")


def test_a_hazard_ratio_with_an_infinite_bound_is_shown_as_not_estimable() -> None:
    from app.components.tables import fmt_hr

    assert fmt_hr(0.4771, (0.3830, 0.5934)) == "0.48 (0.38–0.59)"
    assert fmt_hr(3.7e-08, (0.0, float("inf"))).startswith("not estimable")
