"""The Parametric section's builders (app/components/parametric_figures.py) on the bundled cohort, no browser."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.km import km_by_group
from analysis.parametric import parametric_fits
from app.components.palette import group_colour
from app.components.parametric_figures import (
    aic_rows,
    hazard_figure,
    log_cumulative_hazard_figure,
    overlay_figure,
    rmst_rows,
)

ROOT = Path(__file__).resolve().parents[1]


def test_figures_keep_the_group_colours_and_mark_the_chosen_model() -> None:
    frame = pd.read_csv(ROOT / "data" / "synthetic_klc.csv")[["os_months", "os_event", "first_line"]].dropna()
    frame = frame[frame["os_months"] > 0]
    order = ("sorafenib", "lenvatinib")
    result = parametric_fits(frame, "os_months", "os_event", "first_line", group_order=order, horizon=24)
    km = km_by_group(frame, "os_months", "os_event", "first_line", group_order=order)
    overlay = overlay_figure(result, km, "first_line")
    for position, g in enumerate(result.groups):
        colour = group_colour("first_line", g.group, position)
        mine = [t for t in overlay["data"] if t["line"]["color"] == colour]
        shown = [t for t in mine if t.get("visible", True) is True]
        # the KM and the chosen model are shown in the group's colour; the others one click away
        assert [t["name"].split(": ")[1] for t in shown] == [
            "Kaplan–Meier",
            f"{g.fit(g.chosen).label} (chosen)",  # type: ignore[union-attr]
        ]
        assert len(mine) == 1 + sum(f.fitted for f in g.fits)
    assert overlay["layout"]["shapes"][0]["x0"] == max(g.max_time for g in result.groups)  # extrapolation shaded
    assert "bandwidth" in hazard_figure(result, "first_line")["layout"]["title"]["text"]
    assert log_cumulative_hazard_figure(result, "first_line")["data"][0]["mode"] == "markers"
    rows = aic_rows(result, "first_line")
    assert sum("chosen" in r[1] for r in rows) == len(result.groups)
    assert len(rmst_rows(result, "first_line")) == sum(f.fitted for g in result.groups for f in g.fits)
