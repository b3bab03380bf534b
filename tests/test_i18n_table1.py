"""Table 1's Monte-Carlo Fisher note on the Cohort page (and its exports, through the same notes) in Japanese."""

from __future__ import annotations

import pandas as pd
from test_browser_i18n_sweep import english_words

from analysis.response import FISHER_REPLICATES, association_test
from analysis.table1 import table_one
from app.i18n.notes import notes

# A 3 x 5 table whose exact enumeration is too long (tests/test_response.py: R needs minutes for its exact p).
COUNTS = {"a": (60, 40, 30, 50, 3), "b": (50, 40, 30, 50, 4), "c": (50, 20, 20, 15, 1)}
LEVELS = ("HBV", "HCV", "alcohol", "MASLD", "other")


def test_monte_carlo_note_in_english_unchanged_and_in_japanese() -> None:
    rows = [(group, level) for group, counts in COUNTS.items() for level, n in zip(LEVELS, counts, strict=True)
            for _ in range(n)]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["group", "etiology"])
    table = table_one(frame, "group", ["etiology"], labels={"etiology": "Etiology"})
    reason = association_test([list(c) for c in COUNTS.values()]).reason
    english = f"Etiology: {reason}."
    assert english in table.notes
    assert f"{FISHER_REPLICATES:,} random tables" in english and "simulate.p.value = TRUE" in english
    assert notes("en", table.notes, table.messages) == list(table.notes)
    japanese = next(n for n in notes("ja", table.notes, table.messages) if "20,000" in n)
    assert "成因" in japanese and "Fisher" in japanese and not english_words(japanese), japanese
