"""bench/readme.py regenerates only the README's ppx-vs-R and browser tables, from the bench JSON."""

from __future__ import annotations

import pytest

from bench.readme import BROWSER_END, BROWSER_START, END, START, table, update, update_browser

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


BROWSER = {
    "date": "2026-12-01T15:30:00+00:00",
    "setup": {"gunicorn_workers": 4, "repeats": 7},
    "sizes": [
        {"n": 513, "load_average_before": 1.5, "load_average_after": 2.25,
         "page_load_cold": {"median_settled_ms": 2100.0}, "page_load_warm": {"median_settled_ms": 950.0},
         "filter_click": {"median_km_redrawn_ms": 180.0, "median_settled_ms": 230.0},
         "deck_download": {"median_warm_s": 1.8, "first_s": 4.2}},
    ],
}  # fmt: skip


def test_browser_table_comes_from_its_json_between_its_own_markers() -> None:
    readme = f"{START}\nvs r\n{END}\n{BROWSER_START}\nstale figures\n{BROWSER_END}\nafter\n"
    new = update_browser(readme, BROWSER)
    assert new.startswith(f"{START}\nvs r\n{END}\n{BROWSER_START}\n") and new.endswith(f"{BROWSER_END}\nafter\n")
    assert "| 513 | 2.10 s | 0.95 s | 180 ms | 230 ms | 1.80 s (first 4.20 s) |" in new and "stale figures" not in new
    assert "load average before → after, by cohort size: 513: 1.5 → 2.2" in new
    assert update_browser(new, BROWSER) == new


def test_the_survival_page_section_of_make_bench_runs() -> None:
    """``make bench`` calls the page's own callback: a signature change there must not break the benchmark."""
    import json
    import subprocess
    import sys

    code = "import json; from bench.run import page_bench; print(json.dumps(page_bench(513, 1)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["n"] == 513 and result["km_figure_json_bytes"] > 10_000
