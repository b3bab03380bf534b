"""Figures as drawn, measured in a real browser at 1280×800 and 1600×1000 (issue 15).

One browser session visits every page at both sizes (the slides also at 1920×1080) and checks, from the drawn
boxes (JS bounding rects):
no page overflows sideways; every plotly figure keeps its legend off its plot areas (``.legend`` vs
``.nsewdrag``), has no two text boxes overlapping (titles, annotations, tick labels, legend texts, risk-table
numbers) and no text outside the figure's box. In presenter mode each slide's figure fits the viewport without
scrolling, the navbar is one line, and the page's heading is the only title. The pictures go to the gallery
(``build/screenshots/gallery``; ``make gallery`` refreshes ``docs/gallery``).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from dash.testing.wait import until
from screenshots import screenshot_path

from app.ids import Ids

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = ((1280, 800), (1600, 1000))
PAGES = (
    "/survival?group=pp_received&show=ci,censor,events,censored",
    "/study",
    "/cohort",
    "/cox",
    "/response",
    "/sequences",
    "/methods",
    "/data",
)
SLIDES = (
    "/present?present=1&slide=1",
    "/present?present=1&slide=2",
    "/present?present=1&slide=3",
    "/present?present=1&deck=adjusted.os.first_line,emulation.any&slide=1",
    "/present?present=1&deck=adjusted.os.first_line,emulation.any&slide=2",
)
KMUNICATE_3_GROUPS = "/present?present=1&deck=km.os.pp_group"
PANEL_FIGURES = (Ids.ADJ_CURVES, Ids.ADJ_LOVE, Ids.ADJ_OVERLAP, Ids.EMU_FIGURE)
"""The survival page's adjusted-comparison and target-trial panels (issues 18, 19): checked like every figure, and
the check fails if they were not drawn (the emulation shows on the guard of post-progression groupings)."""

GEOMETRY_JS = """
const box = r => ({l: r.left, t: r.top, r: r.right, b: r.bottom, w: r.width, h: r.height});
const meet = (a, b, pad) => a.l < b.r - pad && b.l < a.r - pad && a.t < b.b - pad && b.t < a.b - pad;
const out = [];
document.querySelectorAll('.js-plotly-plot').forEach(plot => {
  const id = (plot.closest('[id]') || {}).id || '?';
  const svg = plot.querySelector('.main-svg');
  if (!svg || !plot.offsetParent) return;
  const frame = box(svg.getBoundingClientRect());
  const problems = [];
  const legend = plot.querySelector('.legend');
  const areas = [...plot.querySelectorAll('.nsewdrag')].map(e => box(e.getBoundingClientRect()));
  if (legend) {
    const lb = box(legend.getBoundingClientRect());
    areas.forEach(a => { if (meet(lb, a, 1)) problems.push('legend over a plot area'); });
  }
  const selectors = ['.gtitle', '.annotation-text-g', '.xtick text', '.ytick text', '.x2tick text', '.y2tick text',
                     '.legendtext', '.xtitle', '.ytitle', '.textpoint text', '.legendtitletext'];
  const texts = [];
  selectors.forEach(sel => plot.querySelectorAll(sel).forEach(e => {
    const text = (e.textContent || '').trim();
    const r = e.getBoundingClientRect();
    if (text && r.width > 0 && r.height > 0) texts.push({sel: sel, text: text, b: box(r)});
  }));
  texts.forEach(t => {
    const b = t.b;
    if (b.l < frame.l - 1 || b.r > frame.r + 1 || b.t < frame.t - 1 || b.b > frame.b + 1) {
      problems.push('clipped: ' + t.text);
    }
  });
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      if (meet(texts[i].b, texts[j].b, 1.5)) problems.push('overlap: ' + texts[i].text + ' / ' + texts[j].text);
    }
  }
  out.push({id: id, problems: problems, frame: frame, titles: texts.filter(t => t.sel === '.gtitle').map(t => t.text)});
});
return out;
"""


def _resize(driver: Any, width: int, height: int) -> None:
    """Make the viewport (innerWidth × innerHeight) exactly width × height."""
    driver.set_window_size(width, height)
    inner_w, inner_h = driver.execute_script("return [innerWidth, innerHeight]")
    driver.set_window_size(width + (width - inner_w), height + (height - inner_h))


def _settled(dash_duo: Any) -> None:
    """Wait until Dash has no callback in flight and the figures stopped changing."""
    until(lambda: dash_duo.driver.execute_script("return !document.querySelector('[data-dash-is-loading]')"), 30)
    time.sleep(0.8)
    until(lambda: dash_duo.driver.execute_script("return !document.querySelector('[data-dash-is-loading]')"), 30)


def _figures(dash_duo: Any) -> list[dict[str, Any]]:
    return list(dash_duo.driver.execute_script(GEOMETRY_JS))


def _gallery(dash_duo: Any, name: str) -> None:
    path = screenshot_path(f"gallery/{name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(path))
    _shrink(path)


def _shrink(path: Any) -> None:
    """Keep gallery PNGs small (a 64-colour palette is plenty for figures on white)."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=64)
    small.save(path, optimize=True)


SCROLL_TO = "document.getElementById(arguments[0]).scrollIntoView({behavior: 'instant'});"


def _check_pages(dash_duo: Any, width: int, height: int) -> list[str]:
    """Every page: no sideways overflow; every figure of the grammar: legend off the plot, no text collisions."""
    driver = dash_duo.driver
    failures: list[str] = []
    seen: set[str] = set()
    for page in PAGES:
        dash_duo.wait_for_page(url=dash_duo.server_url + page, timeout=30)
        _settled(dash_duo)
        scroll_width = driver.execute_script("return document.documentElement.scrollWidth")
        if scroll_width > width:
            failures.append(f"{width}x{height} {page}: page is {scroll_width} px wide")
        if page.startswith("/survival"):  # the panels render after the page's own figures
            for panel_figure in PANEL_FIGURES:
                dash_duo.wait_for_element(f"#{panel_figure} .main-svg", timeout=60)
            _settled(dash_duo)
        for figure in _figures(dash_duo):
            seen.add(figure["id"])
            failures += [f"{width}x{height} {page} #{figure['id']}: {p}" for p in figure["problems"]]
        if page.startswith("/survival"):
            active = driver.execute_script(
                "return [...document.querySelectorAll('#nav .nav-link.active')].map(e => e.textContent)"
            )
            if active != ["Survival"]:
                failures.append(f"{width}x{height} {page}: active nav links {active}")
            driver.execute_script(SCROLL_TO, Ids.SURV_GUARD)
            _gallery(dash_duo, f"survival-guard-{width}.png")
            for panel in (Ids.EMU_FIGURE, Ids.ADJ_CURVES, Ids.ADJ_LOVE):
                driver.execute_script(SCROLL_TO, panel)
                _gallery(dash_duo, f"survival-{panel}-{width}.png")
        if page == "/study":
            driver.execute_script(SCROLL_TO, "study-pfs-figure")
            _gallery(dash_duo, f"study-small-figures-{width}.png")
    failures += [f"{width}x{height}: #{f} was not drawn" for f in PANEL_FIGURES if f not in seen]
    return failures


FIGURE_BOX_JS = f"""
const r = document.querySelector('#{Ids.PRESENT_FIGURE} .main-svg').getBoundingClientRect();
return [r.left, r.top, r.right, r.bottom, innerWidth, innerHeight, document.documentElement.scrollHeight,
        document.documentElement.scrollWidth, document.querySelector('.navbar').getBoundingClientRect().height];
"""


def _check_slides(dash_duo: Any, width: int, height: int) -> list[str]:
    """Presenter mode: each slide's figure inside the viewport, no scrolling, a one-line navbar, one title."""
    failures: list[str] = []
    for page in (*SLIDES, KMUNICATE_3_GROUPS):
        dash_duo.wait_for_page(url=dash_duo.server_url + page, timeout=30)
        dash_duo.wait_for_element(f"#{Ids.PRESENT_FIGURE} .main-svg", timeout=30)
        _settled(dash_duo)
        label = f"{width}x{height} {page}"
        left, top, right, bottom, inner_w, inner_h, scroll_h, scroll_w, navbar_h = dash_duo.driver.execute_script(
            FIGURE_BOX_JS
        )
        if bottom > inner_h or right > inner_w or left < 0 or top < 0:
            failures.append(f"{label}: figure {left:.0f},{top:.0f}-{right:.0f},{bottom:.0f} not in the viewport")
        if scroll_h > inner_h + 1 or scroll_w > inner_w:
            failures.append(f"{label}: the page scrolls ({scroll_w}x{scroll_h})")
        if navbar_h > 70:
            failures.append(f"{label}: the navbar wraps ({navbar_h:.0f} px)")
        heading = dash_duo.find_element("#" + Ids.PRESENT_TITLE).text
        for figure in _figures(dash_duo):
            failures += [f"{label} #{figure['id']}: {p}" for p in figure["problems"]]
            if heading in figure["titles"]:
                failures.append(f"{label}: the title is shown twice")
        if page in (SLIDES[0], KMUNICATE_3_GROUPS):
            _gallery(dash_duo, f"presenter-{'km' if page == SLIDES[0] else 'kmunicate'}-{width}.png")
    return failures


def _filters_overlay(dash_duo: Any) -> None:
    """The filters open over the slide, not beside it (the figure keeps its width)."""
    driver = dash_duo.driver
    slot_width = f"return document.getElementById('{Ids.PRESENT_SLOT}').clientWidth"
    before = driver.execute_script(slot_width)
    driver.execute_script("arguments[0].click();", dash_duo.find_element("#" + Ids.PRESENT_FILTERS))
    until(lambda: driver.execute_script(f"return document.getElementById('{Ids.F_FIRST_LINE}').offsetParent"), 10)
    assert driver.execute_script(slot_width) == before
    column = "return getComputedStyle(document.querySelector('.ppx-filter-column')).position"
    assert driver.execute_script(column) == "fixed"


@pytest.mark.screenshot
def test_figures_fit_and_no_text_collides_at_projector_sizes(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    driver = dash_duo.driver
    failures: list[str] = []
    for width, height in SIZES:
        _resize(driver, width, height)
        failures += _check_pages(dash_duo, width, height)
        failures += _check_slides(dash_duo, width, height)
        _filters_overlay(dash_duo)
    _resize(driver, 1920, 1080)  # a full-HD projector: the slides only
    failures += _check_slides(dash_duo, 1920, 1080)
    assert failures == [], "\n".join(failures)

    # /present without present=1 is presenter mode too (switch on, filters folded)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/present", timeout=30)
    until(lambda: "present=1" in driver.current_url, timeout=20)
    until(lambda: driver.execute_script(f"return document.getElementById('{Ids.PRESENT_SWITCH}').checked"), 10)
    assert driver.execute_script("return document.body.classList.contains('ppx-present')")

    # "Add to deck" says so, and the message survives the page's re-render for the new URL
    dash_duo.wait_for_page(url=dash_duo.server_url + "/response", timeout=30)
    _settled(dash_duo)
    button = dash_duo.find_element(f"[id*='{Ids.DECK_ADD}'][id*='response']")
    driver.execute_script("arguments[0].click();", button)
    toast = f"return (document.getElementById('{Ids.DECK_TOAST}') || {{}}).textContent || ''"
    until(lambda: "Added as slide 1 of 1: Best response" in driver.execute_script(toast), 20)
    _settled(dash_duo)
    assert "Added as slide 1 of 1" in driver.execute_script(toast)
