"""The translation layer (app.i18n): catalog completeness, placeholders, formats, language choice, JSON rewrite."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app import i18n, urlstate
from app.i18n.render import localize_figure, localize_response

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{(\w+)(?:![rsa])?\}")
"""A placeholder's name (a conversion may differ: an English ``{term!r}`` shows a code, a translation its label)."""


def _catalog() -> list[tuple[str, str]]:
    with i18n.po_path("ja").open("rb") as handle:
        catalog = read_po(handle, locale="ja")
    out: list[tuple[str, str]] = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        out.extend((ids[0], s) for s in strings)
    return out


def test_every_message_id_has_a_japanese_translation() -> None:
    untranslated = [msgid for msgid, text in _catalog() if not text]
    assert not untranslated, f"{len(untranslated)} untranslated in the ja catalog, e.g. {untranslated[:5]}"


def test_translations_keep_the_placeholders_of_their_message_id() -> None:
    wrong = [
        (msgid, text)
        for msgid, text in _catalog()
        if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(text))
    ]
    assert not wrong, wrong[:5]


def test_catalog_template_is_up_to_date_with_the_code(tmp_path: Path) -> None:
    """``make i18n`` extraction, run again, finds exactly the ids already in the .po (none new, none stale)."""
    pybabel = Path(sys.executable).with_name("pybabel")
    assert pybabel.exists(), "Babel is a dependency (pyproject.toml)"
    out = tmp_path / "messages.pot"
    keywords = ["-k", "t:2", "-k", "tn:2,3", "-k", "N_", "-k", "tr:2"]
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "--no-location", "--omit-header", *keywords, "-o", out, "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with out.open("rb") as handle:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    in_po = {msgid for msgid, _ in _catalog()}
    assert extracted - in_po == set(), "new ids: run `make i18n` and translate them"
    assert in_po - extracted == set(), "stale ids: run `make i18n`"


def test_translation_fills_named_placeholders() -> None:
    assert i18n.t("ja", "n = {n} of {total} patients", n=12, total=513) == "n = 12（全 513 例中）"
    assert i18n.t("en", "n = {n} of {total} patients", n=12, total=513) == "n = 12 of 513 patients"
    assert i18n.t("ja", "Lenvatinib") == "レンバチニブ"
    assert i18n.t("ja", "a string that is no message id") == "a string that is no message id"


def test_plural_forms_from_the_catalog_rule() -> None:
    assert i18n.tn("en", "{n} patient", "{n} patients", 1) == "1 patient"
    assert i18n.tn("en", "{n} patient", "{n} patients", 3) == "3 patients"


def test_dates_and_numbers_in_japanese() -> None:
    assert i18n.date("ja", dt.date(2020, 3, 1)) == "2020年3月1日"
    assert i18n.date("en", dt.date(2020, 3, 1)) == "Mar 1, 2020"
    assert i18n.number("ja", 12345.5) == "12,345.5"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("ja-JP,ja;q=0.9,en-US;q=0.8", "ja"),
        ("en-US,en;q=0.9,ja;q=0.8", "en"),
        ("fr-FR,fr;q=0.9,ja;q=0.5", "ja"),
        ("de-DE", "en"),
        ("", "en"),
        ("en;q=0.2,ja;q=0.7", "ja"),
    ],
)
def test_accept_language_picks_the_best_supported_language(header: str, lang: str) -> None:
    assert i18n.from_accept_language(header) == lang


def test_url_language_wins_and_survives_rewrites() -> None:
    from flask import Flask

    server = Flask(__name__)
    with server.test_request_context(
        "/_dash-layout", headers={"Accept-Language": "en", "Referer": "http://x/cox?lang=ja"}
    ):
        assert i18n.request_lang() == "ja"
    with server.test_request_context("/_dash-layout", headers={"Accept-Language": "ja-JP"}):
        assert i18n.request_lang() == "ja"
    with server.test_request_context("/survival?lang=en", headers={"Accept-Language": "ja-JP"}):
        assert i18n.request_lang() == "en"
    assert i18n.request_lang() == "en"  # outside a request: the CLI and workers default to English
    search = urlstate.with_view("?lang=ja&endpoint=pfs", {"group": "bclc"})
    assert i18n.lang_of_search(search) == "ja"
    from analysis.filters import FilterSpec

    assert i18n.lang_of_search(urlstate.with_filters(search, FilterSpec())) == "ja"


def test_dash_json_is_translated_in_text_props_only() -> None:
    label = {"namespace": "dash_bootstrap_components", "type": "Label", "props": {"children": "Endpoint", "id": "Test"}}
    dropdown = {
        "namespace": "dash_core_components",
        "type": "Dropdown",
        "props": {"options": [{"label": "Sorafenib", "value": "Sorafenib"}], "value": "Sorafenib"},
    }
    payload = {"multi": True, "response": {"x": {"children": [label, dropdown, "Survival"], "className": "Survival"}}}
    out = localize_response("ja", payload)["response"]["x"]
    assert out["className"] == "Survival"
    assert out["children"][2] == "生存"
    assert out["children"][0]["props"] == {"children": "評価項目", "id": "Test"}
    assert out["children"][1]["props"]["options"] == [{"label": "ソラフェニブ", "value": "Sorafenib"}]
    assert out["children"][1]["props"]["value"] == "Sorafenib"


def test_figure_texts_are_translated_and_data_untouched() -> None:
    figure = {
        "data": [{"x": ["Sorafenib"], "name": "Lenvatinib", "text": ["Sorafenib"]}],
        "layout": {"yaxis": {"title": {"text": "Survival probability"}}, "annotations": [{"text": "At risk"}]},
    }
    out = localize_figure("ja", figure)
    assert out["data"][0]["x"] == ["Sorafenib"]
    assert out["data"][0]["name"] == "レンバチニブ"
    assert out["layout"]["yaxis"]["title"]["text"] == "生存確率"
    assert out["layout"]["annotations"][0]["text"] == "リスク集合の人数"


def test_analysis_vocabulary_shown_by_the_app_is_in_the_catalog() -> None:
    from analysis.cohort import BUNDLED_NAME
    from analysis.schema import ENDPOINTS
    from app.i18n.vocabulary import BUNDLED_COHORT_NAME, ENDPOINT_LABELS

    assert BUNDLED_NAME == BUNDLED_COHORT_NAME and i18n.t("ja", BUNDLED_NAME) != BUNDLED_NAME
    assert {label for _, _, label in ENDPOINTS.values()} <= set(ENDPOINT_LABELS)
    assert all(i18n.t("ja", label) != label for label in ENDPOINT_LABELS)
    from analysis.schema import LABELS
    from app.i18n.vocabulary import COLUMN_LABELS, DATA_VALUES

    assert set(LABELS.values()) <= set(COLUMN_LABELS)
    from analysis.postprog import EXPOSURE_LEVELS
    from app.i18n.vocabulary import EXPOSURE_LEVEL_LABELS

    assert {label for pair in EXPOSURE_LEVELS.values() for label in pair} <= set(EXPOSURE_LEVEL_LABELS)
    from analysis.formatting import NOT_ESTIMABLE, UNDEFINED
    from app.i18n.vocabulary import FORMAT_WORDS

    assert {UNDEFINED, NOT_ESTIMABLE} <= set(FORMAT_WORDS)
    assert all(i18n.t("ja", label) != label for label in (*DATA_VALUES, "Age (years)", "AFP (ng/mL)"))


def test_the_rules_phrases_and_filter_labels_of_the_analysis_layer_are_in_the_catalog() -> None:
    """Caveats, filter descriptions and Table 1 come from analysis in English codes; the app words them."""
    from analysis.caveats import ENDPOINT_TIME_ZERO, POST_BASELINE
    from analysis.filters import _LABEL_OF
    from analysis.table1 import SUMMARIES
    from app.components.cohort_tables import SUMMARY_NAMES
    from app.i18n.caveats import RULE_PHRASES
    from app.i18n.filters import FILTER_LABELS

    phrases = {e.known_at for e in POST_BASELINE.values()} | set(ENDPOINT_TIME_ZERO.values()) | {"time zero"}
    assert phrases <= set(RULE_PHRASES)
    assert set(_LABEL_OF.values()) <= set(FILTER_LABELS)
    assert set(SUMMARIES) <= set(SUMMARY_NAMES)
    japanese = i18n.catalog("ja")
    assert japanese is not None
    missing = [p for p in (*RULE_PHRASES, *FILTER_LABELS, *SUMMARIES) if not getattr(japanese.get(p), "string", "")]
    assert missing == []


def test_caveats_filters_and_table_one_rows_are_worded_in_japanese() -> None:
    """Whole Japanese sentences from the analysis layer's codes: labels, never the variable's code."""
    from analysis.caveats import caveat
    from analysis.filters import FilterSpec
    from analysis.table1 import Table1Row
    from app.components.cohort_tables import row_label
    from app.i18n.caveats import caveat_text, counterpart_text, footer, known_when
    from app.i18n.filters import describe

    found = caveat("pp_ici", "os")
    assert found is not None and found.kind == "time_varying"
    text = caveat_text(found, "ja") + counterpart_text(found, "ja") + known_when(found, "ja")
    assert "増悪後の免疫チェックポイント阻害薬" in text or "ICI" in text
    assert "pp_ici" not in text and "known only" not in text and "一次治療開始" in text
    assert caveat_text(found, "en").startswith("ICI after progression is known only when an ICI starts")
    assert footer([found], "ja") is not None and "pp_ici" not in (footer([found], "ja") or "")
    undated = caveat("disease_control", "pfs")
    assert undated is not None and undated.kind == "undated"
    assert "ランドマーク解析" in counterpart_text(undated, "ja")
    spec = FilterSpec.create(first_line=("lenvatinib",), bclc=("B", "C"), age=(40, 80))
    assert describe(spec, "en") == spec.describe() == "first-line drug: lenvatinib; BCLC stage: B, C; age: 40–80"
    assert describe(spec, "ja") == "一次治療薬：レンバチニブ；BCLC 病期：B、C；年齢：40–80"
    assert describe(FilterSpec(), "ja") == i18n.t("ja", "all patients") != "all patients"
    row = Table1Row("age", "Age (years), median [IQR]", None, "continuous", (), (), (), None, None, None)
    assert (row.variable_label, row.summary) == ("Age (years)", "median [IQR]")
    assert row_label(row, "ja") == f"{i18n.t('ja', 'Age (years)')}、中央値［四分位範囲］"
    assert row_label(row, "en") == row.label


def test_the_panels_analysis_texts_are_marked_for_translation() -> None:
    """The adjusted and emulation panels show the analysis layer's fixed English texts through the catalog."""
    from analysis.emulate import THERAPY_LABELS, WEIGHT_MODEL
    from analysis.weights import ESTIMAND_LABELS
    from app.components.adjusted import ESTIMAND_NAMES
    from app.components.covariate_labels import covariate_text
    from app.components.emulation import THERAPY_NAMES, WEIGHT_MODEL_TEXT

    assert WEIGHT_MODEL_TEXT == WEIGHT_MODEL and i18n.t("ja", WEIGHT_MODEL) != WEIGHT_MODEL
    assert set(THERAPY_LABELS.values()) <= set(THERAPY_NAMES)
    assert ESTIMAND_LABELS == ESTIMAND_NAMES
    assert covariate_text("log10(1+afp_pd)", "ja").startswith("log10(1 + ") and "afp_pd" not in covariate_text(
        "log10(1+afp_pd)", "ja"
    )
    assert "_" not in covariate_text("child_pugh_score_pd>=7", "ja")
