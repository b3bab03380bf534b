"""Exports: the files open and hold what they should (SVG, PDF, PNG, PPTX, XLSX, CSV), formula
neutralisation, small-cell masking, deck tokens and ``ppx export``.

One warm export browser (kaleido) serves the whole module; a cold start costs ~3 s per image.
"""

from __future__ import annotations

import csv
import io
import re
import struct
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook

from analysis.filters import FilterSpec
from app import datasets, exporting
from app.cache import cache
from app.components import export_tables, presenter
from app.components.presenter import ViewRef
from app.exporting import ExportTable, Provenance
from app.views import response_view, survival_view
from cli import main as ppx

LENVATINIB = FilterSpec.create(first_line=["lenvatinib"])
ALL = FilterSpec()


@pytest.fixture(scope="module")
def context() -> Iterator[None]:
    server = Flask("test-exports")
    cache.init_app(server, config={"CACHE_TYPE": "SimpleCache"})
    exporting.start_export_browser()
    with server.app_context():
        yield
    exporting.stop_export_browser()


@pytest.fixture(scope="module")
def fingerprint(context: None) -> str:
    return datasets.active_cohort().fingerprint


def _os_view(fingerprint: str, spec: FilterSpec = ALL) -> Any:
    return survival_view(fingerprint, spec, "os", "first_line", "logrank", "log-log", False)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _svg_text(svg: bytes) -> str:
    text = " ".join(re.findall(r">([^<>]+)<", svg.decode("utf-8")))
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


# ----------------------------------------------------------------------------- figures


def test_km_svg_has_title_legend_risk_numbers_p_value_and_provenance(fingerprint: str) -> None:
    name, svg = presenter.export_view(ViewRef(), FilterSpec(), "svg", column="single")
    assert name.endswith(".svg")
    text = _svg_text(svg)
    assert "Overall survival by first-line drug" in text
    assert "Sorafenib (n = 309)" in text and "Lenvatinib (n = 204)" in text
    view = _os_view(fingerprint)
    for group in view.km.groups:
        at_12 = next(a for a in group.at if a.time == 12.0)
        assert f">{at_12.n_at_risk}<" in svg.decode("utf-8"), group.group
    assert re.search(r"Log-rank p = 0\.\d{3}", text)
    assert "SYNTHETIC" in text and datasets.active_cohort().short_fingerprint in text
    assert "Filters: all patients" in text


def test_pdf_has_a_page(context: None) -> None:
    _, pdf = presenter.export_view(ViewRef(), LENVATINIB, "pdf")
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 1


@pytest.mark.parametrize("column", ["single", "double"])
def test_png_is_300_dpi_at_the_journal_column_width(context: None, column: str) -> None:
    ref = ViewRef()
    _, png = presenter.export_view(ref, FilterSpec(), "png", column=column)
    width_mm = exporting.COLUMN_WIDTHS_MM[column]
    width, height = _png_size(png)
    assert width == round(width_mm / 25.4 * 300)  # 1004 px single, 2055 px double
    # the height is the figure's bands: curves at least half as tall as wide, plus header, table and footer
    assert width * 0.6 < height < width * 1.4


def test_print_size_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="single, double"):
        exporting.print_size("wide")
    with pytest.raises(ValueError, match="20-400 mm"):
        exporting.print_size("5")


# ----------------------------------------------------------------------------- slides


def test_deck_slides_have_titles_tables_and_the_provenance_footer(context: None) -> None:
    refs = presenter.parse_deck("km.os.first_line,response.first_line,cox.os.fib4-disease_control")
    _, pptx = presenter.export_view(refs[0], LENVATINIB, "pptx", deck=refs)
    slides = exporting.slide_texts(pptx)
    assert len(slides) == 3
    assert "Overall survival by first-line drug" in slides[0]
    assert "Best response to first-line therapy by first-line drug" in slides[1]
    assert "Cox model for overall survival" in slides[2]
    for text in slides:
        assert "SYNTHETIC data (not real patients)" in text
        assert "Filters: first-line drug: lenvatinib" in text
        assert datasets.active_cohort().short_fingerprint in text
        assert "Post-Progression Explorer" in text and "n = 204" in text
    assert "Median, months (95% CI)" in slides[0] and "Lenvatinib" in slides[0]
    assert "FIB-4 index" in slides[2]


def test_presenter_figure_is_kmunicate_with_plain_legends_and_palette_colours(fingerprint: str) -> None:
    from app.components.palette import FIXED_COLOURS

    figure = presenter.view_figure(ViewRef(), fingerprint, FilterSpec(), presenter=True)
    assert figure is not None
    curves = [t for t in figure["data"] if t.get("line", {}).get("shape") == "hv" and "name" in t]
    names = {t["name"]: t["line"]["color"] for t in curves}
    assert names == {
        "Sorafenib, n = 309": FIXED_COLOURS["first_line"]["sorafenib"],
        "Lenvatinib, n = 204": FIXED_COLOURS["first_line"]["lenvatinib"],
    }
    rows = figure["layout"]["yaxis2"]["categoryarray"]
    assert {"Lenvatinib", "Lenvatinib: events", "Lenvatinib: censored"} <= set(rows)
    # every row is labelled: the group's name on its at-risk row, then "events" and "censored" under it
    shown = [re.sub(r"<[^>]+>", "", t) for t in figure["layout"]["yaxis2"]["ticktext"]]
    assert shown == ["Sorafenib: at risk", "events", "censored", "Lenvatinib: at risk", "events", "censored"]
    assert figure["layout"]["yaxis2"]["tickvals"] == list(reversed(rows))
    assert figure["layout"]["font"]["size"] >= 20
    assert all(t["line"]["width"] >= 4 for t in curves)


# ----------------------------------------------------------------------------- tables


def test_xlsx_values_equal_the_analysis_results(fingerprint: str) -> None:
    _, data = presenter.export_view(ViewRef(), FilterSpec(), "xlsx")
    book = load_workbook(io.BytesIO(data))
    sheet = book[book.sheetnames[0]]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = values[1]
    assert header[:5] == ["Group", "n", "Events", "Censored", "Median (months)"]
    view = _os_view(fingerprint)
    for group, row in zip(view.km.groups, values[2:4], strict=True):
        # openpyxl writes floats with 15 significant digits, as Excel stores them
        expected = [group.n, group.events, group.censored, group.median, *group.median_ci]
        assert row[1:7] == pytest.approx(expected, rel=1e-14)
        assert row[1:4] == [group.n, group.events, group.censored]
    landmark = [list(r) for r in book[book.sheetnames[1]].iter_rows(values_only=True)]
    at12 = next(r for r in landmark[2:] if r[0] == "Lenvatinib" and r[1] == 12)
    km12 = next(a for a in view.km.groups[1].at if a.time == 12.0)
    assert at12[2:6] == pytest.approx([km12.survival, km12.ci[0], km12.ci[1], km12.n_at_risk], rel=1e-14)
    assert "Provenance" in book.sheetnames
    assert any("SYNTHETIC" in str(r[0]) for r in book["Provenance"].iter_rows(values_only=True))


def _provenance(dataset: str = "cohort") -> Provenance:
    return Provenance(dataset, "abcdef1234", "all patients", 10, "2025-01-02", "0.1.0", False)


def test_formula_cells_are_neutralised_in_csv_and_xlsx() -> None:
    risky = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"]
    table = ExportTable("t", "Test", ("Text", "Number"), tuple((text, -1.5) for text in [*risky, "safe – text"]))
    provenance = _provenance('=HYPERLINK("http://x")')
    rows = list(csv.reader(io.StringIO(exporting.tables_to_csv([table], provenance).decode("utf-8-sig"))))
    cells = [r[0] for r in rows[2:9]]
    assert cells == ["'" + text for text in risky] + ["safe – text"]
    assert [r[1] for r in rows[2:9]] == ["-1.5"] * 7  # numbers stay numbers
    assert rows[-1][0].startswith("'") is False and "=HYPERLINK" in rows[-1][0]  # footer starts with "Dataset"
    book = load_workbook(io.BytesIO(exporting.tables_to_xlsx([table], provenance)))
    sheet = book["Test"]
    for index, text in enumerate(risky, start=3):
        cell = sheet.cell(row=index, column=1)
        assert cell.value == "'" + text and cell.data_type == "s"
        assert sheet.cell(row=index, column=2).value == -1.5
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert exporting.neutralise_formula("=x") == "'=x" and exporting.neutralise_formula("x=1") == "x=1"


def test_a_formula_as_a_dataset_name_is_neutralised_in_the_provenance_sheet() -> None:
    table = ExportTable("t", "T", ("A",), ((1,),))
    provenance = Provenance("=cmd", "f", "all patients", 1, "2025-01-02", "0.1.0", True)
    book = load_workbook(io.BytesIO(exporting.tables_to_xlsx([table], provenance)))
    values = [c.value for row in book["Provenance"].iter_rows() for c in row]
    assert "Dataset: =cmd (fingerprint f)" in values  # does not start with '=': left as is
    assert all(c.data_type != "f" for row in book["Provenance"].iter_rows() for c in row)


# ----------------------------------------------------------------------------- masking


def _flat(table: ExportTable) -> list[tuple[int, int, Any]]:
    return [(r, c, v) for r, row in enumerate(table.rows) for c, v in enumerate(row)]


def test_masking_hides_small_counts_and_nothing_else(fingerprint: str) -> None:
    spec = FilterSpec.create(first_line=["lenvatinib"], bclc=["A"])
    view = response_view(fingerprint, spec, "first_line")
    plain = export_tables.response_export(view)
    hidden = export_tables.response_export(view, mask=5)
    count_columns = {i for i, h in enumerate(plain.header) if h in ("n", "CR", "PR", "SD", "PD", "NE") or "count" in h}
    changed = 0
    for (r, c, before), (_, _, after) in zip(_flat(plain), _flat(hidden), strict=True):
        header = plain.header[c]
        if c in count_columns and before < 5:
            assert after == "<5", (header, before)
            changed += 1
        elif header in ("ORR", "ORR 95% CI lower", "ORR 95% CI upper", "DCR", "DCR 95% CI lower", "DCR 95% CI upper"):
            count = plain.rows[r][plain.header.index(header.split(" ")[0] + " count")]
            assert after == (exporting.SUPPRESSED if count < 5 else before)
        else:
            assert after == before, header
    assert changed > 0  # the subgroup really has small cells
    assert export_tables.response_export(view, mask=None) == plain


def test_masking_in_km_tables_figure_and_table_one(fingerprint: str) -> None:
    spec = FilterSpec.create(first_line=["lenvatinib"])
    view = _os_view(fingerprint, spec)
    landmark = export_tables.landmark_export(view, times=(6.0, 12.0, 24.0), mask=30)
    raw = export_tables.landmark_export(view, times=(6.0, 12.0, 24.0))
    for row, masked_row in zip(raw.rows, landmark.rows, strict=True):
        assert masked_row[5] == ("<30" if row[5] < 30 else row[5])
        assert masked_row[2:5] == row[2:5]  # survival estimates are not counts
    figure = presenter.view_figure(ViewRef(), fingerprint, spec, mask=30)
    assert figure is not None
    texts = [t for trace in figure["data"] if trace.get("xaxis") == "x2" for t in trace["text"]]
    assert "<30" in texts and all(t == "<30" or int(t) >= 30 for t in texts)
    from app.views import cohort_view

    t1 = export_tables.table_one_export(cohort_view(fingerprint, FilterSpec(), "first_line"), mask=5)
    cells = [v for _, _, v in _flat(t1)]
    assert "<5" in cells
    assert not any(isinstance(v, str) and re.fullmatch(r"[0-4] \(.*\)", v) for v in cells)


# ----------------------------------------------------------------------------- deck tokens and the CLI


def test_deck_tokens_round_trip_and_unknown_tokens_are_dropped() -> None:
    tokens = "km.pps.pp_group,response.none,cox.os.fib4-pp_ici,bogus,km.xx.first_line,table1.first_line"
    refs = presenter.parse_deck(tokens)
    assert [r.token() for r in refs] == ["km.pps.pp_group", "response.none", "cox.os.fib4-pp_ici"]
    assert presenter.parse_deck(presenter.deck_text(refs)) == refs
    assert refs[1].grouping is None
    assert presenter.parse_deck(",".join(["km.os.none"] * 50)) == (ViewRef(grouping=None),) * presenter.MAX_DECK


def test_provenance_text_names_everything() -> None:
    cohort = datasets.bundled()
    text = Provenance.of(cohort, LENVATINIB, 204, mask=5, today=date(2025, 3, 4)).text()
    for part in ("SYNTHETIC", cohort.short_fingerprint, "first-line drug: lenvatinib", "n = 204", "2025-03-04"):
        assert part in text
    assert "counts below 5 masked" in text


def test_ppx_export_writes_the_same_tables_as_the_dashboard(context: None, tmp_path: Path) -> None:
    out = tmp_path / "medians.csv"
    assert ppx(["export", "--view", "survival", "--filters", "first_line=lenvatinib", "--format", "csv",
                "--out", str(out)]) == 0  # fmt: skip
    _, expected = presenter.export_view(ViewRef(), LENVATINIB, "csv")
    assert out.read_bytes() == expected
    svg = tmp_path / "km.svg"
    assert ppx(["export", "--filters", "first_line=lenvatinib", "--format", "svg", "--out", str(svg)]) == 0
    assert "Lenvatinib (n = 204)" in _svg_text(svg.read_bytes())


def test_ppx_export_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert ppx(["export", "--filters", "bclc=Z", "--format", "csv", "--out", str(tmp_path / "x.csv")]) == 2
    assert ppx(["export", "--group", "nope", "--format", "csv", "--out", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("ppx export: error:") for line in err)
