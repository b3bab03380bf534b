"""bench/readme.py regenerates only the README's ppx-vs-R table, from the bench JSON."""

from __future__ import annotations

import pytest

from bench.readme import END, START, table, update

BLOCK = {
    "date": "2026-12-01T12:00:00+00:00",
    "cpus": 2,
    "load_average_1min": [3.5, 4.25],
    "r_version": "R version 4.2.2 survival 3.5.3",
    "r_skipped": None,
    "lifelines_skipped_above_n": 200000,
    "rows": [
        {"n": 50000, "step": "cox", "untied": False, "r_s": 0.3, "lifelines_s": 0.5, "ppx_s": 0.12,
         "ppx_over_r": 0.4, "ppx_over_lifelines": 0.24, "ppx_over_r_cpu": 0.3, "ppx_over_lifelines_cpu": 0.2},
        {"n": 500000, "step": "cox", "untied": True, "r_s": 4.7, "lifelines_s": None, "ppx_s": 2.2,
         "ppx_over_r": 2.2 / 4.7, "ppx_over_lifelines": None, "ppx_over_r_cpu": 0.41, "ppx_over_lifelines_cpu": None},
    ],
}  # fmt: skip


def test_table_rows_come_from_the_json() -> None:
    text = table(BLOCK)
    cox = "Cox (Efron), 6 covariates + 4-level factor, with concordance"
    assert f"| 50,000 | {cox} | 300.0 ms | 500.0 ms | 120.0 ms | 0.40 [0.30] | 0.24 [0.20] |" in text
    assert "| 500,000, untied times |" in text and "| 2.20 s | 0.47 [0.41] | – [–] |" in text
    assert "load average 3.5 at the start, 4.25 at the end" in text


def test_update_replaces_only_between_the_markers() -> None:
    readme = f"# Title\nbefore\n{START}\nold table\n{END}\nafter\n"
    new = update(readme, BLOCK)
    assert new.startswith("# Title\nbefore\n" + START + "\n")
    assert new.endswith(END + "\nafter\n")
    assert "old table" not in new and "| 50,000 |" in new
    assert update(new, BLOCK) == new


def test_update_without_markers_says_so() -> None:
    with pytest.raises(SystemExit, match="markers"):
        update("# no markers\n", BLOCK)


def test_r_skipped_is_said() -> None:
    skipped = {**BLOCK, "r_version": None, "r_skipped": "Rscript not found",
               "rows": [{**BLOCK["rows"][0], "r_s": None, "ppx_over_r": None}]}  # fmt: skip
    assert "R skipped: Rscript not found" in table(skipped)


def test_targets_are_judged_from_the_ratios() -> None:
    lines = table(BLOCK)
    assert "Cox ≤ 0.5 of R at n ≥ 50,000: met by wall-clock time (worst 0.47), met by CPU time (worst 0.41)" in lines
    assert "KM, log-rank and the weighted test ≤ 0.6 of R: not measured in this run." in lines
    slow = {**BLOCK, "rows": [{**BLOCK["rows"][0], "ppx_over_r": 0.9}]}
    assert "Cox ≤ 0.5 of R at n ≥ 50,000: not met by wall-clock time (worst 0.90)" in table(slow)
