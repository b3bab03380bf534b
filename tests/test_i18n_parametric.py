"""The Survival page's Parametric section in Japanese: "not fitted" reasons and notes (and its table export).

English stays the text the page showed before the templates (the literals below); Japanese has no English word
outside the i18n sweep's allow-list (the models' names and RMST are allowed).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from test_browser_i18n_sweep import english_words

from analysis.parametric import PARAMETRIC_TEMPLATES, parametric_fits
from app.components import aft_check, parametric_figures
from app.i18n import catalog


def test_every_template_is_marked_for_extraction_and_translated() -> None:
    marked = {*parametric_figures.REASONS, *aft_check.REASONS, *aft_check.LIBRARY_WORDING}
    assert set(PARAMETRIC_TEMPLATES) <= marked
    ja = catalog("ja")
    assert ja is not None
    for msgid in parametric_figures.REASONS:
        entry = ja.get(msgid)
        assert entry is not None and entry.string, msgid
        assert not english_words(re.sub(r"\{\w+\}", " ", str(entry.string))), msgid


def test_not_fitted_reasons_and_notes_in_english_unchanged_and_in_japanese() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "time": [*rng.exponential(10, 30).round(1) + 0.1, *([5.0] * 4), *rng.exponential(10, 6).round(1) + 1],
            "event": [*rng.integers(0, 2, 30), *([1] * 4), *([0] * 6)],
            "pp_received": ["yes"] * 30 + ["no"] * 10,
        }
    )
    result = parametric_fits(frame, "time", "event", "pp_received", models=["exponential", "weibull"], horizon=60)
    english = parametric_figures.notes(result, "pp_received", "en")
    rows = parametric_figures.aic_rows(result, "pp_received", "en")
    assert "not fitted: all 4 events are at one time (5), so the shape cannot be estimated" in str(rows)
    assert any("fewer than two distinct event times: no smoothed hazard" in n for n in english)
    assert any("the horizon 60 is beyond this group's follow-up" in n and "partly extrapolated" in n for n in english)
    japanese = [*parametric_figures.notes(result, "pp_received", "ja"),
                *(r[-1] for r in parametric_figures.aic_rows(result, "pp_received", "ja"))]  # fmt: skip
    for line in japanese:
        assert not english_words(line), (line, english_words(line))
    no_events = parametric_fits(frame.iloc[34:], "time", "event", models=["weibull"]).groups[0].fits[0]
    assert no_events.reason == "no events in this group, so the likelihood has no maximum"
    shown = parametric_figures.reason_text(no_events, "ja")
    assert shown and not english_words(shown)
    assert parametric_figures.reason_text(no_events, "en") == no_events.reason
