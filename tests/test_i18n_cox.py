"""The Cox page's fit warnings, notes and refusals in Japanese (:data:`analysis.cox.COX_TEMPLATES`).

Each case is triggered on a small synthetic frame: English stays exactly the text ``ppx cox`` printed before the
templates (the literal strings below), Japanese has no English word outside the i18n sweep's allow-list and names
the covariate by its label.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from flask import Flask
from test_browser_i18n_sweep import english_words

from analysis.cox import fit_cox, univariate_screen
from analysis.cox_messages import COX_TEMPLATES, NOT_CONVERGED
from analysis.errors import DataError
from analysis.filters import FilterSpec
from analysis.messages import Message
from app import datasets
from app.cache import cache
from app.components import cox_tables
from app.i18n import catalog
from app.i18n import cox as cox_i18n
from app.views import CoxView, cox_view


def _frame(n: int = 60, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "time": rng.exponential(12, n).round(1) + 0.1,
            "event": rng.integers(0, 2, n),
            "age": rng.normal(70, 8, n).round(),
            "fib4": rng.lognormal(1, 0.5, n).round(2),
            "etiology": rng.choice(["HBV", "HCV", "alcohol"], n),
            "center": rng.choice(["a", "b", "c"], n),
        }
    )


def test_every_template_is_marked_for_extraction_and_translated() -> None:
    assert cox_i18n.TEMPLATES == COX_TEMPLATES
    ja = catalog("ja")
    assert ja is not None
    for msgid in COX_TEMPLATES:
        entry = ja.get(msgid)
        assert entry is not None and entry.string, msgid
        prose = re.sub(r"\{\w+\}", " ", str(entry.string))
        assert not english_words(prose), (msgid, english_words(prose))


def _separated() -> pd.DataFrame:
    frame = _frame()
    frame.loc[frame["etiology"] == "HCV", "event"] = 0  # a level with no events: its coefficient runs off
    return frame


def _few_events() -> pd.DataFrame:
    frame = _frame()
    frame["event"] = 0
    frame.loc[:4, "event"] = 1
    return frame


def _constant() -> pd.DataFrame:
    frame = _frame()
    frame["age"] = 65.0
    return frame


def _single_level() -> pd.DataFrame:
    frame = _frame()
    frame["etiology"] = "HBV"
    return frame


def _collinear() -> pd.DataFrame:
    frame = _frame()
    frame["age"] = 2 * frame["fib4"] + 50
    return frame


CASES = [
    (
        _separated,
        ["etiology"],
        {},
        "Loglik converged before 'etiology=HCV'; its coefficient may be infinite "
        "(for example a group with no events or every patient with an event).",
        "成因：HCV 対",
    ),
    (
        _few_events,
        ["age"],
        {},
        "Only 5.0 events per parameter (fewer than 10): estimates may be unstable.",
        "5.0",
    ),
    (_constant, ["age", "fib4"], {}, "'age' is constant (65) in these patients and was left out.", "年齢"),
    (
        _single_level,
        ["etiology", "fib4"],
        {},
        "'etiology' has a single value ('HBV') in these patients and was left out.",
        "HBV",
    ),
    (
        _collinear,
        ["fib4", "age"],
        {},
        "'age' is constant within strata or a linear combination of other covariates in these patients and was "
        "left out.",
        "年齢",
    ),
    (_frame, ["age"], {"cluster": "center", "robust": False}, "cluster 'center' ignored because robust=False (as R).",
     "施設"),
]  # fmt: skip


@pytest.mark.parametrize(("make", "covariates", "options", "english", "shown"), CASES)
def test_fit_warning_in_english_unchanged_and_in_japanese(
    make: object, covariates: list[str], options: dict[str, object], english: str, shown: str
) -> None:
    frame = make()  # type: ignore[operator]
    result = fit_cox(frame, "time", "event", covariates, **options)  # type: ignore[arg-type]
    assert english in result.warnings
    assert result.warnings == tuple(m.text() for m in result.wording)
    japanese = cox_i18n.warnings("ja", result.warnings, result.wording)
    assert len(japanese) == len(result.warnings)
    assert any(shown in line for line in japanese), japanese
    for line in japanese:
        assert not english_words(line), (line, english_words(line))
    view = CoxView("os", tuple(covariates), (), result, None, None, None, None)
    assert str(english) in str(cox_tables.warnings_block(view, "en"))


def test_not_converged_and_robust_note_worded() -> None:
    message = Message.of(NOT_CONVERGED, iterations=20)
    assert message.text() == "The model did not converge in 20 iterations; estimates may be unreliable."
    assert "収束しませんでした" in cox_i18n.word("ja", message)
    robust = fit_cox(_frame(), "time", "event", ["age"], robust=True)
    assert robust.notes and not english_words(cox_i18n.warnings("ja", robust.notes, ())[0])


def test_nothing_varies_refusals_and_the_screen_note() -> None:
    with pytest.raises(DataError) as raised:
        fit_cox(_constant(), "time", "event", ["age"])
    assert str(raised.value) == "no covariate varies among these patients ('age'), so there is nothing to fit"
    frame = _frame()
    frame["age"] = frame["etiology"].map({"HBV": 60.0, "HCV": 70.0, "alcohol": 80.0})
    with pytest.raises(DataError) as within:
        fit_cox(frame, "time", "event", ["age"], strata="etiology")
    assert str(within.value) == "no covariate varies within strata among these patients, so there is nothing to fit"
    for error in (raised.value, within.value):
        assert error.wording is not None and not english_words(cox_i18n.word("ja", error.wording))
    rows = univariate_screen(_constant(), "time", "event", ["age", "fib4"])
    failed = rows[0]
    assert failed.result is None and failed.note == str(raised.value)
    japanese = cox_i18n.screen_note(failed, "ja")
    assert "年齢" in japanese and not english_words(japanese)
    assert cox_i18n.screen_note(failed, "en") == failed.note


def test_a_refused_model_on_the_cox_page_in_japanese() -> None:
    server = Flask("test-i18n-cox")
    cache.init_app(server, config={"CACHE_TYPE": "SimpleCache"})
    with server.app_context():
        fingerprint = datasets.active_cohort().fingerprint
        view = cox_view(fingerprint, FilterSpec(first_line=("lenvatinib",)), "os", ("first_line",))
    english = (
        "The multivariable model could not be fitted: no covariate varies among these patients ('first_line'), "
        "so there is nothing to fit"
    )
    assert view.model is None and view.model_note == english
    assert english in str(cox_tables.model_block(view, "en"))
    japanese = str(cox_tables.model_block(view, "ja").children)
    assert "一次治療薬" in japanese and not english_words(japanese), japanese


@pytest.mark.parametrize(("huge", "shown"), [(2.5e200, "2.5e+200"), (-1e150, "-1e+150"), (float("inf"), "∞")])
def test_a_value_too_large_to_fit_is_refused_by_its_column_and_row(huge: float, shown: str) -> None:
    """A covariate near 1e200 used to be called constant ("no covariate varies"): its square overflowed in the
    collinearity check. It is refused instead, naming the column, the spreadsheet row and the value."""
    frame = _frame()
    frame.loc[7, "fib4"] = huge
    with pytest.raises(DataError) as raised:
        fit_cox(frame, "time", "event", ["age", "fib4"])
    assert str(raised.value) == (
        f"'fib4' holds {shown} at row 9: a Cox model needs values below 1e+150 in magnitude (their squares "
        "overflow); rescale the column, for example to other units"
    )
    assert raised.value.wording is not None
    japanese = cox_i18n.word("ja", raised.value.wording)
    assert "9" in japanese and not english_words(japanese), japanese
    frame.loc[7, "fib4"] = 9.99e149  # below the limit: fitted
    assert [t.term for t in fit_cox(frame, "time", "event", ["age", "fib4"]).terms] == ["age", "fib4"]
