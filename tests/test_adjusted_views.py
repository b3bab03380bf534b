"""The adjusted-comparison panel's seam (app/adjusted_views.py) and builders, without a browser."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.adjusted import adjusted_comparison
from app.adjusted_views import comparison_data, comparison_key, describe
from app.components.adjusted import DEFAULT_COVARIATES, curves_figure, love_plot, summary_rows
from app.components.covariate_labels import term_label
from app.views import analysis_frame

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return analysis_frame(pd.read_csv(ROOT / "data" / "synthetic_klc.csv"))


def test_options_are_normalised() -> None:
    options = comparison_key("bogus", ["etiology", "age", "nope"], "atc", "0.99", "abc", "dfs")
    assert (options.comparison, options.estimand, options.trim, options.landmark, options.endpoint) == (
        "first_line", "ate", 0.99, 6.0, "os"
    )  # fmt: skip
    assert options.covariates == ("age", "etiology")  # menu order, unknown dropped
    assert comparison_key(None, None, None, "none", 12, "pfs").covariates == DEFAULT_COVARIATES


def test_landmark_comparison_has_no_immortal_time(cohort: pd.DataFrame) -> None:
    data = comparison_data(cohort, "pp_landmark", "os", 6.0)
    frame = data.frame
    assert (frame["os_months"] > 6).all() and (frame["pfs_months"] <= 6).all()
    assert set(frame[data.treatment]) == {"0", "1"} and (data.time_col, data.event_col) == ("lm_time", "lm_event")
    started = pd.to_datetime(frame["pp_start"]) - pd.to_datetime(frame["first_line_start"])
    exposed = frame[frame[data.treatment] == "1"]
    assert (started[exposed.index].dt.days / 30.4375 <= 6).all()  # exposure reached by the landmark only
    ici = comparison_data(cohort, "ici_lenvatinib", "os", 6.0)
    assert set(ici.frame["first_line"]) == {"lenvatinib"}
    assert "6-month landmark" in describe(comparison_key("ici_lenvatinib", None, None, None, 6, "os"))[1]


def test_figures_and_rows_from_a_comparison(cohort: pd.DataFrame) -> None:
    data = comparison_data(cohort, "first_line", "os", 6.0)
    result = adjusted_comparison(
        data.frame, data.treatment, list(DEFAULT_COVARIATES), data.time_col, data.event_col, reference="sorafenib"
    )
    figure = curves_figure(result, "first_line")
    names = [t["name"] for t in figure["data"]]
    assert names == [
        "Sorafenib, unweighted (n = 309)", "Sorafenib, weighted (ATE)",
        "Lenvatinib, unweighted (n = 204)", "Lenvatinib, weighted (ATE)",
    ]  # fmt: skip
    love = love_plot(result)
    assert love["layout"]["shapes"][0]["x0"] == 0.1
    assert "Etiology = HBV" in love["data"][0]["y"] and term_label("afp_high") == "AFP ≥ 400 ng/mL"
    rows = summary_rows(result, "first_line")
    assert rows[0][0] == "HR Lenvatinib vs Sorafenib, unweighted" and rows[1][0].startswith("HR, weighted (ATE")
    assert rows[2][1].endswith("(CI: bootstrap below)")


def test_exports_carry_the_method_in_their_footer(cohort: pd.DataFrame) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    from analysis.cohort import load_bundled_cohort
    from analysis.filters import FilterSpec
    from app import exporting
    from app.components.adjusted import export_tables, method_text

    data = comparison_data(cohort, "first_line", "os", 6.0)
    result = adjusted_comparison(
        data.frame, data.treatment, list(DEFAULT_COVARIATES), data.time_col, data.event_col, reference="sorafenib"
    )
    method = method_text(result)
    assert method.startswith("propensity-score weighting, ATE (inverse probability of treatment weights)")
    assert "Age (years), Child-Pugh score" in method and "robust SE" in method
    provenance = exporting.Provenance.of(load_bundled_cohort(), FilterSpec(), result.n, method=method)
    assert f"Method: {method}" in provenance.text()
    book = load_workbook(BytesIO(exporting.export_tables(export_tables(result, "first_line"), "xlsx", provenance)))
    cells = [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value]
    assert any(method in cell for cell in cells)
    assert any(cell == "SMD after" for cell in cells)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_panels_own_export_leads_with_its_caveat_on_every_sheet(ppx_app: object, lang: str) -> None:
    """The panel's XLSX button (not the presenter's export) states what weighting cannot remove on every sheet,
    once, in the page's language; it had only the method (and the caveat as one note of the summary sheet)."""
    import base64
    from io import BytesIO

    from openpyxl import load_workbook

    from app.components.adjusted import CAVEAT
    from app.i18n import t
    from app.ids import Ids
    from bench.dash_payloads import CALLBACK_PATH, Dependencies

    client = ppx_app.server.test_client()  # type: ignore[attr-defined]
    search = "?group=first_line" + ("&lang=ja" if lang == "ja" else "")
    client.get(f"/survival{search}")  # a session, as a browser has
    deps = Dependencies(client.get("/_dash-dependencies").get_json())
    values = {f"{Ids.ADJ_EXPORT_XLSX}.n_clicks": 1, f"{Ids.ADJ_COMPARISON}.value": "first_line", "url.search": search}
    body = deps.body(f"{Ids.ADJ_DOWNLOAD}.data", values, changed=[f"{Ids.ADJ_EXPORT_XLSX}.n_clicks"])
    response = client.post(CALLBACK_PATH, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    download = response.get_json()["response"][Ids.ADJ_DOWNLOAD]["data"]
    book = load_workbook(BytesIO(base64.b64decode(download["content"])))
    caveat = t(lang, CAVEAT)
    for sheet in book.worksheets:
        cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
        assert sum(caveat in cell for cell in cells) == 1, (sheet.title, cells[-3:])


def test_table_one_gets_a_weighted_smd_column(cohort: pd.DataFrame) -> None:
    from analysis.table1 import BASELINE_VARIABLES, table_one
    from analysis.weights import balance_for, weigh
    from app.components.cohort_tables import table_one_rows, table_one_table, weighted_key

    data = comparison_data(cohort, "first_line", "os", 6.0)
    weighting = weigh(data.frame, "first_line", list(DEFAULT_COVARIATES), reference="sorafenib")
    columns = [c for c in BASELINE_VARIABLES if c in data.frame.columns]
    smd = {r.covariate: abs(r.smd_weighted) for r in balance_for(data.frame, weighting, columns, categorical=["ecog"])}
    table = table_one(cohort, "first_line")
    keys = [weighted_key(row) for row in table.rows]
    assert {"age", "bclc=C", "ecog=2", "mvi", "albi_grade=2a"} <= set(keys) & set(smd)
    rows = table_one_rows(table, smd)
    plain = table_one_rows(table)
    assert all(len(r) == len(p) + 1 for r, p in zip(rows, plain, strict=True))
    ecog_2 = rows[keys.index("ecog=2")]
    assert ecog_2[-1] == f"{smd['ecog=2']:.2f}" and float(ecog_2[-1]) < 0.1  # balanced after weighting
    assert "SMD, weighted" in str(table_one_table(table, smd, "note").children[0].children[0])


def test_a_refused_comparison_is_worded_in_the_pages_language(ppx_app: object) -> None:
    """A filter that leaves one first-line drug: no weights exist. English reads as before; Japanese names the
    column and the drug by their labels, with no English word outside the sweep's allow-list."""
    from test_browser_i18n_sweep import english_words

    from analysis.filters import FilterSpec
    from analysis.messages import Message
    from app import adjusted_views, datasets

    with ppx_app.server.app_context():  # type: ignore[attr-defined]
        fingerprint = datasets.bundled().fingerprint
        options = comparison_key("first_line", None, None, None, None, "os")
        refused = adjusted_views.adjusted_view(fingerprint, FilterSpec(first_line=("lenvatinib",)), options)
    assert isinstance(refused, Message)
    english = adjusted_views.refusal_text(refused, "en")
    assert english == (
        "No adjusted comparison: the treatment column 'first_line' must have exactly two levels among the patients "
        "analysed; it has 1: 'lenvatinib'"
    )
    japanese = adjusted_views.refusal_text(refused, "ja")
    assert "レンバチニブ" in japanese and "調整済み比較はありません" in japanese, japanese
    assert english_words(japanese) == [], japanese
