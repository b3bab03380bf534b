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


def _figure_strings(node: Any, inside: bool = False) -> Iterator[str]:
    """Every string inside a ``figure`` value of a callback response."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _figure_strings(value, inside or key == "figure")
    elif isinstance(node, list):
        for value in node:
            yield from _figure_strings(value, inside)
    elif isinstance(node, str) and inside:
        yield node


@pytest.mark.slow
def test_no_figure_of_any_callback_carries_live_markup_from_the_file(ppx_app: Any) -> None:
    """Every non-background callback of the app, on an upload whose centres are HTML: no figure string holds
    the file's markup unescaped (a new figure that forgets plain() fails here)."""
    import json

    from test_cohort import valid_frame
    from test_upload_privacy import SUFFIX_DEFAULTS, VIEW_DEFAULTS, Browser, _raw_body

    from analysis.ingest import read_upload, suggest_mapping

    frame = valid_frame()
    frame["center"] = [HOSTILE[k % 3] for k in range(len(frame))]
    data = frame.to_csv(index=False).encode("utf-8")
    browser = Browser(ppx_app)
    browser.upload(data, "hostile.csv")
    browser.use(suggest_mapping(read_upload(data, "hostile.csv")).spec)
    background = {name for name, spec in ppx_app.callback_map.items() if spec.get("background")}
    figures = 0
    for dependency in browser.deps_json:
        if dependency["output"] in background or dependency.get("clientside_function"):
            continue  # a clientside callback has no server side to post to
        props = [f"{i['id']}.{i['property']}" for i in dependency["inputs"] + dependency.get("state", [])]
        # the pages read their view from the URL: group by centre, so figures carry the file's centre names
        values = {p: 1 if p.endswith(".n_clicks") else "?group=center" if p == "url.search" else None for p in props}
        for p in props:
            for suffix, default in SUFFIX_DEFAULTS.items():
                if p.endswith(suffix) and (suffix.endswith("group.value") or p not in VIEW_DEFAULTS):
                    values[p] = default
            values.setdefault(p, VIEW_DEFAULTS.get(p))
            if values[p] is None:
                values[p] = VIEW_DEFAULTS.get(p)
        response = browser.client.post("/_dash-update-component", json=_raw_body(dependency, values))
        if response.status_code != 200:
            continue
        strings = list(_figure_strings(json.loads(response.get_data(as_text=True))))
        figures += any("x.example" in s for s in strings)
        for text in strings:
            for name in HOSTILE:
                assert name not in text, (dependency["output"][:60], text[:120])
    assert figures >= 1  # the sweep did reach figures with the centre names
