"""Analysis notes worded in Japanese (Table 1's "No test for …", the Response page's exclusions): the analysis keeps
them English (``ppx`` prints them unchanged), the app words their templates through the catalog."""

from __future__ import annotations

import pandas as pd
from test_browser_i18n_sweep import english_words  # the page sweep's checker and allow-list

from analysis.response import response_rates
from analysis.table1 import table_one
from app.i18n.notes import TEMPLATES, notes, word


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "first_line": ["sorafenib", "lenvatinib", None, "sorafenib", "lenvatinib", "sorafenib"],
            "best_response": ["PR", "SD", "PD", None, "CR", "PD"],
            "afp_high": [None, None, None, 1, None, None],
        },
        index=range(6),
    )


def test_table_one_and_response_notes_are_japanese_and_english_is_unchanged() -> None:
    frame = _frame()
    table = table_one(frame, "first_line", variables=["afp_high"])
    response = response_rates(frame, group_col="first_line")
    for result in (table, response):
        assert [m.text() for m in result.messages] == list(result.notes)  # what the CLI prints, unchanged
        assert notes("en", result.notes, result.messages) == list(result.notes)
        worded = notes("ja", result.notes, result.messages)
        assert len(worded) == len(result.notes)
        for line in worded:
            assert english_words(line) == [], line
    assert "1 patient(s) without a value of first_line excluded (row 4)." in table.notes
    assert "一次治療薬の値がない患者 1 例を除外しました（4 行目）。" in notes("ja", table.notes, table.messages)
    assert any(n.startswith("No test for afp_high: ") for n in table.notes), table.notes
    assert any(n.startswith("AFP ≥ 400 ng/mLの検定なし：検定には") for n in notes("ja", table.notes, table.messages))
    assert "1 patient(s) without a recorded best_response excluded (row 5)." in response.notes


def test_every_note_template_is_translated_and_rows_are_reworded() -> None:
    from analysis.response import NO_VALUE, excluded_message
    from app.i18n import t

    assert all(t("ja", m) != m for m in TEMPLATES)
    many = excluded_message(NO_VALUE, "ecog", list(range(12)))
    assert many.text().endswith("(rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 2 more).")
    assert word("ja", many).endswith("（2, 3, 4, 5, 6, 7, 8, 9, 10, 11 行目ほか 2 行）。"), word("ja", many)
