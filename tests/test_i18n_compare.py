"""A one-group subgroup's "No p-value" reason on the Survival page in Japanese (:data:`UNDEFINED_TEMPLATES`).

English stays the text the page showed before the templates (the literal below); Japanese has no English word
outside the i18n sweep's allow-list and names the one group by its label.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from test_browser_i18n_sweep import english_words

from analysis.compare import UNDEFINED_TEMPLATES, compare_survival
from analysis.errors import UndefinedComparisonError
from analysis.filters import FilterSpec
from app import datasets
from app.cache import cache
from app.components import study_cards, survival_tables
from app.i18n import catalog
from app.i18n import compare as compare_i18n
from app.views import NO_P_VALUE, survival_view


@pytest.fixture(scope="module")
def fingerprint() -> Iterator[str]:
    server = Flask("test-i18n-compare")
    cache.init_app(server, config={"CACHE_TYPE": "SimpleCache"})
    with server.app_context():
        yield datasets.active_cohort().fingerprint


def test_every_reason_is_marked_for_extraction_and_translated() -> None:
    assert compare_i18n.TEMPLATES == UNDEFINED_TEMPLATES
    ja = catalog("ja")
    assert ja is not None
    for msgid in (*UNDEFINED_TEMPLATES, NO_P_VALUE):
        entry = ja.get(msgid)
        assert entry is not None and entry.string, msgid
        prose = re.sub(r"\{\w+\}", " ", str(entry.string))
        assert not english_words(prose), (msgid, english_words(prose))


def test_one_group_subgroup_has_its_reason_in_english_unchanged_and_in_japanese(fingerprint: str) -> None:
    spec = FilterSpec(first_line=("lenvatinib",))
    view = survival_view(fingerprint, spec, "os", "first_line", "logrank", "log-log", False)
    assert view.test is None
    english = "No p-value: a comparison needs at least two groups with patients (only 'lenvatinib')"
    assert view.test_note == english
    assert survival_tables.test_note(view, "en") == english
    japanese = survival_tables.test_note(view, "ja")
    assert japanese is not None and "レンバチニブ" in japanese and not english_words(japanese), japanese
    assert study_cards._test_text(view, "ja") == japanese


def test_no_events_reason_worded() -> None:
    with pytest.raises(UndefinedComparisonError) as raised:
        compare_survival([1.0, 2.0, 3.0], [0, 0, 0], ["a", "b", "a"])
    assert str(raised.value) == "no patient has an event, so survival cannot be compared between groups"
    assert raised.value.wording is not None
    assert not english_words(compare_i18n.word("ja", raised.value.wording, None))


def test_the_table_exports_carry_the_worded_notes(fingerprint: str) -> None:
    """The Survival and Cox CSVs of a one-drug subgroup: the "No p-value" note and the screen's per-covariate
    notes in Japanese (they were looked up as English message ids), the English files as before."""
    from app.components import presenter
    from app.components.presenter import ViewRef

    spec = FilterSpec(first_line=("lenvatinib",), bclc=("D",))
    for token in ("km.os.first_line", "cox.os.fib4-disease_control-pp_received-pp_ici"):
        ref = ViewRef.from_token(token)
        assert ref is not None
        english = presenter.export_view(ref, spec, "csv")[1].decode("utf-8-sig")
        japanese = presenter.export_view(ref, spec, "csv", lang="ja")[1].decode("utf-8-sig")
        words = [w for w in english_words(japanese) if w != "inf"]  # an infinite estimate's number, as in English
        assert not words, (token, words)
        if token.startswith("km"):
            assert "No p-value: a comparison needs at least two groups" in english
            assert "p 値なし" in japanese
