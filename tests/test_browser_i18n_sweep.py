"""Every page in Japanese (``lang=ja``), with every section a switch or tab reveals: no untranslated English word.

One test per page, all sharing one server and one browser (module scope: the suite is over its time budget). The
text checked is what a user reads: ``document.body.innerText`` plus the SVG text of every Plotly figure (axis
titles, tick labels, legends, annotations). Code is not checked: the ``ppx`` command lines the pages print and
their column names are the CLI's, which stays English by design. The screenshots are the docs gallery
(``PPX_REFRESH_DOCS=1``), at 1280x800 and 1600x1000.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dash.testing import errors as dash_errors  # the module, not its Test* class: pytest would try to collect it
from dash.testing.composite import DashComposite
from dash.testing.wait import until
from screenshots import screenshot_path

from app.ids import Ids

SWEEP_DIR = Path(__file__).resolve().parents[1] / "build" / "i18n-sweep"
"""Each page's lines with English words, for the developer fixing them (git-ignored)."""

ALLOWED = frozenset(
    # internationally used abbreviations that Japanese hepatology papers keep in Latin letters (app/i18n/glossary.csv;
    # "FIB-4 index" is the score's name as they write it)
    ("OS", "PFS", "PPS", "HR", "CI", "BCLC", "ALBI", "FIB", "index", "AFP", "ECOG", "PS", "ICI", "TKI", "MTA")  # noqa: RUF005
    + ("SMD", "IPTW", "ATE", "ATT", "ATO", "AIC", "BIC", "AUC", "AFT", "RMST", "Child", "Pugh", "RECIST", "mRECIST")
    + ("NR",)
    # response categories and rates as RECIST names them, and the aetiologies' abbreviations
    + ("CR", "PR", "SD", "PD", "NE", "ORR", "DCR", "HBV", "HCV", "MASLD")
    # file formats and software named on the pages; KLC is the source study (Kobe Liver Conference)
    + ("CSV", "TSV", "XLSX", "JSON", "PNG", "SVG", "PDF", "PPTX", "MB", "KLC", "XLS", "GIF", "JPEG", "gzip")
    # text encodings and the bytes named in the reader's messages
    + ("UTF", "Shift_JIS", "CP932", "BOM", "NUL")
    + ("Python", "SAS", "Stata", "lifelines", "cobalt", "Excel", "Office")
    # names: Cox, Kaplan–Meier, the source study's journal; methods keep their authors' names in Japanese papers
    + ("Cox", "Kaplan", "Meier", "JGH", "Open", "Weibull", "Gompertz", "Simon", "Makuch", "Fleming", "Harrington")
    + ("Holm", "Benjamini", "Hochberg", "Fisher", "Wald", "Schoenfeld", "Sankey", "Clopper", "Pearson", "Efron")
    + ("Greenwood", "Nelson", "Aalen", "Johansen", "Epanechnikov", "Gehan", "Breslow", "Tarone", "Ware", "Peto")
    + ("Mantel", "Byar", "Kruskal", "Wallis", "Wilcoxon", "Welch", "Yates", "Harrell", "VanderWeele", "Ding")
    # the source study's citation (Yano et al., Kobe Liver Conference) and the guideline cited (NICE DSU TSD 14)
    + ("Yano", "et", "al", "Kobe", "Liver", "Conference", "doi", "NICE", "DSU", "TSD")
    # the log of a quantity (log L, log-log transform) is written so in Japanese too
    + ("log", "logit")
    # units
    + ("ng", "mL")
    # the language switch names its language in itself; the bundled cohort's label keeps its English word beside
    # the Japanese (合成データ SYNTHETIC) so that a screenshot shown abroad still says it; ppx is the product's command
    + ("English", "SYNTHETIC", "ppx")
)
"""Latin-letter words allowed on a Japanese page (single letters are symbols: n, p, q, e)."""

TEXT_JS = (
    "const skip = el => el.closest('code, pre, .ppx-command');"
    "const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);"
    "const out = [];"
    "for (let n = walk.nextNode(); n; n = walk.nextNode()) {"
    "  const el = n.parentElement; if (!el || skip(el)) continue;"
    "  if (el.closest('svg')) continue;"
    "  const st = getComputedStyle(el);"
    "  if (st.display === 'none' || st.visibility === 'hidden' || el.offsetParent === null) continue;"
    "  out.push(n.textContent);"
    "}"
    "for (const t of document.querySelectorAll('.js-plotly-plot svg text')) {"
    "  if (t.closest('[style*=\"display: none\"]')) continue; out.push(t.textContent); }"
    "for (const el of document.querySelectorAll('input[placeholder], .Select-placeholder')) {"
    "  if (el.offsetParent !== null) out.push(el.getAttribute('placeholder') || el.textContent); }"
    "return out.join('\\n');"
)


CALL = re.compile(r"[A-Za-z_][\w.]*\([^()]*\)")
"""An R or Python call quoted in a sentence (``summary(survfit, times=)``): code, as the CLI's, not prose."""


CODE = re.compile(r"\bppx [a-z]+|--[\w-]+|\b\w+\.\w+\b|\(start, stop\]|\bPPX_[A-Z_]+")
"""A ppx command and its options (``ppx synth --seed``), an R function or file named with its package
(``cox.zph``), R's counting-process interval ``(start, stop]``, the server's environment variable that an
administrator sets (``PPX_MAX_UPLOAD_ROWS``): code."""


def _without_code(text: str) -> str:
    while CALL.search(text):
        text = CALL.sub(" ", text)
    return CODE.sub(" ", text)


def english_words(text: str) -> list[str]:
    """The Latin-letter words of ``text`` that are not allowed on a Japanese page (identifiers with an underscore
    or digit included: a variable's code is no label)."""
    text = _without_code(text)
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]*[A-Za-z0-9]|[A-Za-z]{2,}", text)
    return sorted({w for w in words if w not in ALLOWED and not re.fullmatch(r"[A-Za-z]\d*|[0-9a-f]*\d[0-9a-f]*", w)})


@pytest.fixture(scope="module")
def ja_duo(request: pytest.FixtureRequest, ppx_app: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from dash.testing.application_runners import ThreadedRunner

    with (
        ThreadedRunner() as server,
        DashComposite(
            server=server,
            browser="Chrome",
            headless=True,
            options=request.config.hook.pytest_setup_options(),
            download_path=str(tmp_path_factory.mktemp("download")),
        ) as duo,
    ):
        duo.start_server(ppx_app)
        yield duo


def _open(duo: Any, path: str, ready: str) -> None:
    sep = "&" if "?" in path else "?"
    duo.wait_for_page(url=duo.server_url + path + sep + "lang=ja", timeout=60)
    duo.wait_for_element(ready, timeout=120)
    if not path.startswith("/present"):  # the presenter shows the slide alone (no navbar, no patient count)
        duo.wait_for_contains_text("#" + Ids.N_BADGE, "例中", timeout=60)


def _settled(duo: Any) -> None:
    """No Dash callback in flight and no loading spinner shown."""
    until(
        lambda: duo.driver.execute_script(
            "return !document.querySelector('._dash-loading-callback, ._dash-loading')"
            " && !document.querySelector('.dash-spinner, ._dash-loading');"
        ),
        timeout=120,
        poll=0.5,
    )


SHAPES_JS = (
    "return Array.from(document.querySelectorAll('.js-plotly-plot .node, .js-plotly-plot .trace'))"
    ".map(e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height].map(Math.round); });"
)


def _relaid_out(duo: Any) -> bool:
    """After a window resize, wait until every Plotly figure has been redrawn at its container's width (Plotly
    resizes on the window's resize event, a moment later); False if one stays wider (a figure laid out by the server
    for the window it was opened in, as the presenter's: the caller reloads the page at the new size)."""
    fits = (
        "return Array.from(document.querySelectorAll('.js-plotly-plot')).every("
        "p => { const svg = p.querySelector('.main-svg'); return !p.offsetParent || !svg"
        " || svg.getBoundingClientRect().width <= p.parentElement.getBoundingClientRect().width + 1; });"
    )
    try:
        until(lambda: duo.driver.execute_script(fits), timeout=10, poll=0.25)
    except dash_errors.TestingTimeoutError:
        return False
    shapes: list[object] = []

    def still() -> bool:  # the figures' drawn shapes no longer move (a Sankey animates its relayout)
        shapes.append(duo.driver.execute_script(SHAPES_JS))
        return len(shapes) > 2 and shapes[-1] == shapes[-2] == shapes[-3]

    with contextlib.suppress(dash_errors.TestingTimeoutError):
        until(still, timeout=10, poll=0.3)
    return True


def _click(duo: Any, selector: str) -> None:
    duo.driver.execute_script("arguments[0].click();", duo.find_element(selector))


def _survival_comparison(duo: Any) -> None:
    duo.wait_for_element(f"#{Ids.ADJ_SUMMARY} tbody tr", timeout=120)


def _survival_parametric(duo: Any) -> None:
    _click(duo, "#" + Ids.PAR_SWITCH)
    duo.wait_for_element(f"#{Ids.PAR_AIC} tbody tr", timeout=180)


def _survival_guarded(duo: Any) -> None:
    duo.wait_for_element(f"#{Ids.SURV_GUARD} table", timeout=120)
    duo.wait_for_element(f"#{Ids.EMU_TABLE} tbody tr", timeout=180)


def _survival_guard_refused(duo: Any) -> None:
    """BCLC D only: the target trial refuses (a covariate is the same for every eligible patient)."""
    duo.wait_for_element(f"#{Ids.SURV_GUARD} table", timeout=120)
    duo.wait_for_element(f"#{Ids.EMU_OUTPUT} .alert", timeout=180)


WALKS: dict[str, tuple[str, str, Callable[[Any], None] | None]] = {
    # name: (path, the element that says the page has rendered, what reveals the rest)
    "home": ("/", "#" + Ids.NAV, None),
    "survival": ("/survival?group=first_line", f"#{Ids.SURV_FIGURE} .js-plotly-plot", _survival_comparison),
    "survival-parametric": ("/survival?group=first_line", f"#{Ids.SURV_FIGURE} .js-plotly-plot", _survival_parametric),
    "survival-guard": ("/survival?group=pp_received", f"#{Ids.SURV_FIGURE} .js-plotly-plot", _survival_guarded),
    "survival-guard-refused": (
        "/survival?group=pp_received&bclc=D",
        f"#{Ids.SURV_FIGURE} .js-plotly-plot",
        _survival_guard_refused,
    ),
    "cox": ("/cox", "#cox-model-table", None),
    "cohort": ("/cohort", "#table-one", None),
    "response": ("/response", "#response-table", None),
    "sequences": ("/sequences", f"#{Ids.SEQ_SANKEY} .js-plotly-plot", None),
    "study": ("/study", "#study-5", None),
    "methods": ("/methods", "#methods-text", None),
    "data": ("/data", "#" + Ids.DATA_STATUS, None),
    "present": ("/present?deck=km.os.first_line,response.first_line", f"#{Ids.PRESENT_FIGURE} .js-plotly-plot", None),
}


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.screenshot
@pytest.mark.parametrize("name", list(WALKS))
def test_page_in_japanese_has_no_untranslated_english(ja_duo: Any, name: str) -> None:
    path, ready, reveal = WALKS[name]
    _open(ja_duo, path, ready)
    if reveal is not None:
        reveal(ja_duo)
    _settled(ja_duo)
    for width, height in ((1280, 800), (1600, 1000)):
        ja_duo.driver.set_window_size(width, height)
        if not _relaid_out(ja_duo):
            _open(ja_duo, path, ready)
            if reveal is not None:
                reveal(ja_duo)
            _settled(ja_duo)
        ja_duo.driver.save_screenshot(str(screenshot_path(f"gallery/ja-{name}-{width}.png")))
    text = str(ja_duo.driver.execute_script(TEXT_JS))
    assert "合成データ" in text, name
    found = english_words(text)
    lines = [line for line in text.splitlines() if english_words(line)]
    SWEEP_DIR.mkdir(parents=True, exist_ok=True)
    (SWEEP_DIR / f"{name}.txt").write_text("\n".join(lines), encoding="utf-8")
    assert found == [], f"{name}: {len(found)} English words on the Japanese page: {found}; in {lines[:30]}"


def test_the_sweep_flags_english_and_spares_symbols_and_allowed_abbreviations() -> None:
    assert english_words("全生存期間 OS の HR 0.72（95% CI 0.5–0.9）、n = 12、p = 0.03") == []
    assert english_words("n = 12 patients, median 9.1 months; pp_ici 後") == ["median", "months", "patients", "pp_ici"]
    assert english_words("フィンガープリント 74f6a355cc、CR (11)、KLC 類似") == []
    assert english_words("R の summary(survfit(Surv(start, stop, event)), times = t) と同じ") == []
    assert english_words("「ppx synth --n 513 --seed 2022」、cox.zph、(start, stop] 区間") == []
