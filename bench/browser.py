"""`make bench-browser`: what a user waits for, in headless Chromium (Selenium) against real gunicorn.

For each cohort size (the bundled n = 513, and a generated cohort of 50,000 through ``PPX_COHORT_PATH``) it starts
``gunicorn -c gunicorn.conf.py app.wsgi:server`` on a free loopback port and measures, as medians of at least
7 repetitions:

- ``page_load_cold``: a new browser (empty HTTP cache, new session) opens ``/survival``; from navigation start to the
  Survival figure drawn with its curves and no callback request in flight (stable for 100 ms, not counted);
- ``page_load_warm``: the same browser opens the page again (its HTTP cache holds the static assets);
- ``filter_click``: a click on a first-line drug in the filter panel (alternately lenvatinib and sorafenib; the
  first two clicks, which meet a cold server cache, are reported apart); ``km_redrawn_ms``
  until the figure's curves have changed, ``settled_ms`` until no callback request is in flight either;
- ``deck_download`` (n = 513 only): "Download slide deck" on ``/present`` (the default 3-slide deck: Survival,
  Response, Cox) until the PPTX is complete in the download folder; the first is reported apart (cold export
  browser), the medians are the later ones.

Times are taken inside the page (``performance.now()``) except the deck (wall clock around the click). Also written:
the bytes a cold page load transfers against their decoded size (the effect of compression), ``ppx --help`` start-up
(median of 7 subprocess runs, beside the eager parser that imports every subcommand), the machine and its load
average. Output: ``bench/browser.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from app.ids import Ids
from bench.loadtest import free_port, machine, start_gunicorn, stop, wait_ready

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1100",
)  # fmt: skip
STABLE_MS = 100
SURVIVAL_GRAPH = f"#{Ids.SURV_FIGURE} .js-plotly-plot"
PRESENT_GRAPH = f"#{Ids.PRESENT_FIGURE} .js-plotly-plot"

# Counts the callback requests in flight (Dash's renderer posts them with fetch); injected before any page script.
INFLIGHT_JS = """
window.__ppxInflight = 0;
const realFetch = window.fetch.bind(window);
window.fetch = (...args) => {
  const url = String(args[0] && args[0].url || args[0]);
  if (!url.includes('_dash-update-component')) return realFetch(...args);
  window.__ppxInflight += 1;
  return realFetch(...args).finally(() => { window.__ppxInflight -= 1; });
};
"""

# Resolves once the condition has held for STABLE_MS, with the time it first held (`settled`) and the first time
# the figure differed (`redrawn`). The condition: the graph has curves, its signature (trace names and lengths)
# differs from `before` (null: any), and (when `idle`) no callback request is in flight.
WAIT_JS = """
const [selector, before, idle, stableMs, clickSelector, timeoutMs] = arguments;
const done = arguments[arguments.length - 1];
const signature = () => {
  const gd = document.querySelector(selector);
  if (!gd || !gd.data || gd.data.length === 0) return null;
  return JSON.stringify(gd.data.map(t => [t.name, (t.x || []).length]));
};
const busy = () => (window.__ppxInflight || 0) > 0;
let start = performance.now();
if (clickSelector) { document.querySelector(clickSelector).click(); start = performance.now(); }
let redrawn = null, since = null;
const poll = () => {
  const now = performance.now();
  const s = signature();
  const changed = s !== null && s !== before;
  if (changed && redrawn === null) redrawn = now;
  if (changed && !(idle && busy())) { if (since === null) since = now; } else { since = null; }
  if (since !== null && now - since >= stableMs) { done({start, redrawn, settled: since, signature: s}); return; }
  if (now - start > timeoutMs) { done({start, redrawn, settled: null, signature: s, timeout: true}); return; }
  requestAnimationFrame(poll);
};
requestAnimationFrame(poll);
"""

TRANSFER_JS = """
return performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation')).reduce(
  (sum, e) => [sum[0] + (e.transferSize || 0), sum[1] + (e.decodedBodySize || 0), sum[2] + 1], [0, 0, 0]);
"""


def _options(downloads: Path, profile: Path) -> Options:
    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    return options


@contextmanager
def browser(scratch: Path) -> Iterator[webdriver.Chrome]:
    """A new headless Chromium with its own (empty) profile; downloads go to ``scratch/downloads``."""
    profile = Path(tempfile.mkdtemp(prefix="profile-", dir=scratch))
    downloads = scratch / "downloads"
    downloads.mkdir(exist_ok=True)
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=_options(downloads, profile), service=service)
    driver.set_script_timeout(180)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": INFLIGHT_JS})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait(
    driver: webdriver.Chrome, selector: str, before: str | None, click: str | None = None, timeout_ms: float = 60_000
) -> dict[str, Any]:
    result: dict[str, Any] = driver.execute_async_script(WAIT_JS, selector, before, True, STABLE_MS, click, timeout_ms)
    if result.get("timeout"):
        state = driver.execute_script("return [window.__ppxInflight, location.search]")
        raise TimeoutError(
            f"{selector} did not settle within {timeout_ms / 1000:.0f} s (before {before}, now {result['signature']},"
            f" redrawn at {result['redrawn']}, requests in flight and query: {state})"
        )
    return result


def _load(driver: webdriver.Chrome, url: str) -> dict[str, float]:
    """Open ``url``; ms from navigation start to the figure drawn and the page settled."""
    driver.get(url)
    result = _wait(driver, SURVIVAL_GRAPH, None)
    return {"redrawn_ms": result["redrawn"], "settled_ms": result["settled"]}


def _summary(samples: list[dict[str, float]]) -> dict[str, Any]:
    keys = samples[0].keys()
    return {
        "repeats": len(samples),
        **{f"median_{k}": round(statistics.median(s[k] for s in samples), 1) for k in keys},
        **{f"all_{k}": [round(s[k], 1) for s in samples] for k in keys},
    }


def page_loads(base: str, scratch: Path, repeats: int) -> dict[str, Any]:
    cold, transfer = [], []
    for _ in range(repeats):
        with browser(scratch) as driver:
            cold.append(_load(driver, f"{base}/survival"))
            sent, decoded, files = driver.execute_script(TRANSFER_JS)
            transfer.append({"transferred_bytes": sent, "decoded_bytes": decoded, "requests": files})
    with browser(scratch) as driver:
        _load(driver, f"{base}/survival")  # fills this browser's cache
        warm = [_load(driver, f"{base}/survival") for _ in range(repeats)]
    return {"page_load_cold": _summary(cold), "page_load_warm": _summary(warm), "cold_transfer": transfer[-1]}


def filter_clicks(base: str, scratch: Path, repeats: int) -> dict[str, Any]:
    drugs = (["lenvatinib", "sorafenib"] * repeats)[: repeats + 2]  # the first-line choice is a radio group
    samples = []
    with browser(scratch) as driver:
        driver.get(f"{base}/survival")
        before = _wait(driver, SURVIVAL_GRAPH, None)["signature"]
        for drug in drugs:  # the first click is not counted (the page's first filter change)
            click = f"#{Ids.F_FIRST_LINE} input[value='{drug}']"
            result = _wait(driver, SURVIVAL_GRAPH, before, click=click)
            samples.append({
                "km_redrawn_ms": result["redrawn"] - result["start"],
                "settled_ms": result["settled"] - result["start"],
            })  # fmt: skip
            before = result["signature"]
    return {"filter_click": {**_summary(samples[2:]), "first_clicks": samples[:2]}}


def _deck_file(downloads: Path, timeout_s: float = 180) -> Path:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        decks = [p for p in downloads.glob("*.pptx") if p.stat().st_size > 10_000]
        if decks and not any(downloads.glob("*.crdownload")):
            return decks[0]
        time.sleep(0.02)
    raise TimeoutError(f"no slide deck downloaded within {timeout_s:.0f} s")


def deck_downloads(base: str, scratch: Path, repeats: int) -> dict[str, Any]:
    downloads = scratch / "downloads"
    seconds = []
    with browser(scratch) as driver:
        driver.get(f"{base}/present?present=1")
        _wait(driver, PRESENT_GRAPH, None)
        button = driver.find_element(By.ID, Ids.PRESENT_DECK_BUTTON)
        for _ in range(repeats + 1):
            for old in downloads.iterdir():
                old.unlink()
            start = time.perf_counter()
            button.click()
            _deck_file(downloads)
            seconds.append(time.perf_counter() - start)
            _until(button.is_enabled, 60)
    return {
        "deck_download": {
            "slides": 3,
            "first_s": round(seconds[0], 2),
            "repeats": repeats,
            "median_warm_s": round(statistics.median(seconds[1:]), 2),
            "all_warm_s": [round(s, 2) for s in seconds[1:]],
        }
    }


def _until(probe: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.05)


def cli_help(repeats: int) -> dict[str, Any]:
    """``ppx --help`` as a user runs it (a new interpreter each time), beside the eager parser that imports every
    subcommand module (the start-up before the lazy CLI), interleaved so that both meet the same machine load."""
    lazy = [sys.executable, "-m", "cli", "--help"]
    eager = [sys.executable, "-c", "from cli import build_parser; build_parser().format_help()"]
    seconds: dict[str, list[float]] = {"lazy": [], "eager": []}
    for _ in range(repeats):
        for name, argv in (("lazy", lazy), ("eager", eager)):
            start = time.perf_counter()
            subprocess.run(argv, cwd=ROOT, capture_output=True, check=True)
            seconds[name].append(time.perf_counter() - start)
    return {
        "repeats": repeats,
        "median_s": round(statistics.median(seconds["lazy"]), 3),
        "all_s": [round(s, 3) for s in seconds["lazy"]],
        "eager_median_s": round(statistics.median(seconds["eager"]), 3),
        "eager_all_s": [round(s, 3) for s in seconds["eager"]],
        "load_average": os.getloadavg()[0],
    }


def _cohort(n: int, scratch: Path) -> dict[str, str]:
    """Environment for gunicorn: nothing for the bundled cohort, else a generated SYNTHETIC cohort of n patients."""
    if n == 513:
        return {}
    from analysis.synth import generate_cohort, write_cohort

    path = scratch / f"synthetic_{n}.csv"
    write_cohort(generate_cohort(n, seed=7), path)
    return {"PPX_COHORT_PATH": str(path)}


def run_size(n: int, repeats: int, workers: int) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix=f"ppx-bench-browser-{n}-"))
    env = _cohort(n, scratch)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(port, workers, scratch, scratch / "gunicorn.log", extra_env=env)
    try:
        try:
            wait_ready(f"{base}/readyz", timeout_s=300)
        except TimeoutError as exc:
            log = (scratch / "gunicorn.log").read_text(encoding="utf-8", errors="replace")[-3000:]
            raise TimeoutError(f"{exc}; gunicorn's log ends:\n{log}") from exc
        out: dict[str, Any] = {"n": n, "load_average_before": os.getloadavg()[0]}
        out |= page_loads(base, scratch, repeats)
        out |= filter_clicks(base, scratch, repeats)
        if n == 513:
            out |= deck_downloads(base, scratch, repeats)
        out["load_average_after"] = os.getloadavg()[0]
        return out
    finally:
        stop(server)
        shutil.rmtree(scratch, ignore_errors=True)


def markdown_table(results: dict[str, Any]) -> str:
    """The README's table, from a ``bench/browser.json``."""
    lines = [
        "| n | page load, cold | page load, warm | filter click → KM redrawn | … all callbacks done | 3-slide deck |",
        "|---|---|---|---|---|---|",
    ]
    for size in results["sizes"]:
        deck = size.get("deck_download")
        deck_text = f"{deck['median_warm_s']:.2f} s (first {deck['first_s']:.2f} s)" if deck else "–"
        cold, warm, click = size["page_load_cold"], size["page_load_warm"], size["filter_click"]
        lines.append(
            f"| {size['n']:,} | {cold['median_settled_ms'] / 1000:.2f} s | {warm['median_settled_ms'] / 1000:.2f} s "
            f"| {click['median_km_redrawn_ms']:.0f} ms | {click['median_settled_ms']:.0f} ms | {deck_text} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "bench" / "browser.json"))
    parser.add_argument("--sizes", default="513,50000", help="cohort sizes, comma-separated ('': only ppx --help)")
    parser.add_argument("--repeats", type=int, default=7, help="repetitions per interaction (at least 7)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--table", metavar="JSON", help="print the README's Markdown table from a results file")
    args = parser.parse_args(argv)
    if args.table:
        print(markdown_table(json.loads(Path(args.table).read_text(encoding="utf-8"))))
        return 0
    if args.repeats < 7:
        parser.error("--repeats must be at least 7 (medians of at least 7 repetitions)")
    workers = args.workers or max(2, min(8, 2 * (os.cpu_count() or 1)))
    out = Path(args.out)
    if not args.sizes:  # only the start-up figure, into the existing results
        previous = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
        previous["cli_help"] = {**cli_help(args.repeats), "date": datetime.now(UTC).isoformat(timespec="seconds")}
        out.write_text(json.dumps(previous, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(previous["cli_help"], indent=2))
        return 0
    sizes: list[dict[str, Any]] = []
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "setup": {"gunicorn_workers": workers, "repeats": args.repeats, "browser": "headless Chromium (Selenium)"},
        "cli_help": cli_help(args.repeats),
        "sizes": sizes,
    }
    for n in args.sizes.split(","):
        sizes.append(run_size(int(n), args.repeats, workers))
        out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")  # each size as it ends
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
