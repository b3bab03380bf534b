"""Text from an uploaded file is shown as text in every figure, export and slide (issue 12, finding 6).

A cohort whose centre names are HTML (a link, bold, a line break, a styled
span, a template field) goes through the KM figure (legend, risk table, hover),
the response bar chart, the SVG export and the slide deck. Plotly must show
the characters, never follow the markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sessionkit import in_session, plant_cohort

from analysis.cohort import ValidatedCohort, validate_cohort
from analysis.filters import FilterSpec
from analysis.schema import INPUT_COLUMNS
from app import datasets, exporting
from app.components import presenter
from app.components.km_figure import KMFigureOptions, km_figure
from app.components.presenter import ViewRef
from app.components.response_figures import response_bar
from app.components.text import plain
from app.views import response_view, survival_view

HOSTILE = (
    '<a href="https://x.example">x</a>',
    "<b>bold</b> &amp; <br>next",
    '<span style="color:red">red</span> 100%{x}',
)
HOSTILE_FILE = '<a href="https://x.example">hosp</a>.csv'


def hostile_cohort() -> ValidatedCohort:
    frame = datasets.bundled().frame.head(90).copy()
    frame["center"] = [HOSTILE[k % 3] for k in range(len(frame))]
    columns = [c for c in frame.columns if c in INPUT_COLUMNS]
    return validate_cohort(frame[columns], source=HOSTILE_FILE, name=HOSTILE_FILE, synthetic=False)


@pytest.fixture(scope="module")
def hostile(ppx_app: Any) -> Iterator[str]:
    cookie = plant_cohort(ppx_app, hostile_cohort())
    with in_session(ppx_app, cookie):
        yield datasets.active_cohort().fingerprint


def test_plain_makes_plotly_markup_inert_and_keeps_the_characters() -> None:
    assert plain('<a href="u">x</a>') == '&lt;a href="u"&gt;x&lt;/a&gt;'
    assert plain("a & b") == "a &amp; b" and plain("&lt;") == "&amp;lt;"  # an entity in the file stays literal
    assert plain("100%{x}") == "100&#37;{x}"
    assert plain("Sorafenib") == "Sorafenib"


def test_km_legend_risk_table_and_hover_show_centre_names_as_text(hostile: str) -> None:
    view = survival_view(hostile, FilterSpec(), "os", "center", "logrank", "log-log", False)
    figure = km_figure(view.km, "center", view.ticks, KMFigureOptions(show_events_row=True)).to_plotly_json()
    names = [t.get("name", "") for t in figure["data"] if t.get("name")]
    assert names and all("<" not in n and ">" not in n and "%{" not in n for n in names)
    assert any(plain(HOSTILE[0]) in n for n in names)
    rows = [y for t in figure["data"] if t.get("mode") == "text" for y in t["y"]]
    assert rows and all("<" not in str(r) for r in rows)
    for trace in figure["data"]:
        template = trace.get("hovertemplate") or ""
        for name in HOSTILE:
            assert name not in template and "%{x}</" not in template.split("<br>")[0]


def test_response_bars_show_centre_names_as_text(hostile: str) -> None:
    figure = response_bar(response_view(hostile, FilterSpec(), "center").result).to_plotly_json()
    labels = [str(y) for t in figure["data"] for y in t.get("y", [])]
    assert labels and all("<" not in y and ">" not in y for y in labels)


@pytest.mark.slow
def test_svg_export_and_slides_show_centre_and_file_names_as_text(hostile: str) -> None:
    ref = ViewRef(endpoint="os", grouping="center")
    exporting.start_export_browser()
    try:
        _, svg_bytes = presenter.export_view(ref, FilterSpec(), "svg", column="single")
    finally:
        exporting.stop_export_browser()
    svg = svg_bytes.decode("utf-8")
    assert re.search(r"<a[\s>]", svg) is None and "xlink:href" not in svg  # no live link
    bold = re.findall(r'font-weight:\s*bold">([^<]*)<', svg)
    assert "bold" not in bold and "fill:red" not in svg.replace(" ", "")  # no markup of the file took effect
    text = html.unescape(" ".join(re.findall(r">([^<>]+)<", svg)))
    assert HOSTILE[0] in text  # the centre's name, character for character (legend)
    assert "hosp</a>.csv" in text  # the file name in the provenance footer, as text
    deck = presenter.build_view_deck((ref,), FilterSpec())
    slides = " ".join(exporting.slide_texts(deck))
    assert HOSTILE[0] in slides and "&lt;" not in slides  # python-pptx text is text: shown as in the file
