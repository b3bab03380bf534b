"""Presenter mode in a real browser: the switch, the projector theme, arrow keys through the deck,
"Add to deck", and a copied link that reopens the same view.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from app.ids import Ids

pytestmark = pytest.mark.browser


def _severe(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry.get("level") == "SEVERE" and "favicon" not in entry.get("message", "")]


def _curve_names(dash_duo: Any) -> list[str]:
    names = dash_duo.driver.execute_script(
        f"const plot = document.querySelector('#{Ids.PRESENT_FIGURE} .js-plotly-plot');"
        "return plot && plot.data ? plot.data.filter(t => t.name && t.line && t.line.shape === 'hv')"
        ".map(t => t.name) : [];"
    )
    return list(names)


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def _press(dash_duo: Any, key: str) -> None:
    """A key press on the page itself (not in a text field), as a presenter's clicker sends it."""
    dash_duo.driver.execute_script("document.activeElement && document.activeElement.blur();")
    ActionChains(dash_duo.driver).send_keys(key).perform()


def test_presenter_switch_theme_and_arrow_keys(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival?first_line=lenvatinib", timeout=20)
    dash_duo.wait_for_element("#" + Ids.SURV_FIGURE + " .js-plotly-plot", timeout=30)
    switch = dash_duo.find_element("#" + Ids.PRESENT_SWITCH)
    dash_duo.driver.execute_script("arguments[0].click();", switch)
    until(lambda: urlparse(dash_duo.driver.current_url).path == "/present", timeout=20)
    assert _query(dash_duo.driver.current_url)["present"] == ["1"]
    assert _query(dash_duo.driver.current_url)["first_line"] == ["lenvatinib"]
    dash_duo.wait_for_text_to_equal("#" + Ids.PRESENT_COUNTER, "1 / 3", timeout=30)
    dash_duo.wait_for_text_to_equal("#" + Ids.PRESENT_TITLE, "Overall survival by first-line drug", timeout=30)
    until(lambda: _curve_names(dash_duo) == ["Lenvatinib, n = 204"], timeout=30)  # plain-words legend
    until(lambda: "ppx-present" in dash_duo.find_element("body").get_attribute("class"), timeout=10)
    filters_visible = dash_duo.driver.execute_script(
        f"return document.getElementById('{Ids.F_FIRST_LINE}').offsetParent !== null;"
    )
    assert filters_visible is False  # one figure at full width; "Filters" brings the panel back
    assert "Filters: first-line drug: lenvatinib" in dash_duo.find_element("#" + Ids.PRESENT_SUBTITLE).text
    assert "SYNTHETIC" in dash_duo.find_element("#" + Ids.PRESENT_FOOTER).text

    _press(dash_duo, Keys.ARROW_RIGHT)
    dash_duo.wait_for_text_to_equal("#" + Ids.PRESENT_COUNTER, "2 / 3", timeout=20)
    dash_duo.wait_for_contains_text("#" + Ids.PRESENT_TITLE, "Best response", timeout=20)
    assert _query(dash_duo.driver.current_url)["slide"] == ["2"]
    _press(dash_duo, Keys.ARROW_RIGHT)
    dash_duo.wait_for_text_to_equal("#" + Ids.PRESENT_COUNTER, "3 / 3", timeout=20)
    dash_duo.wait_for_contains_text("#" + Ids.PRESENT_TITLE, "Cox model", timeout=30)
    _press(dash_duo, Keys.ARROW_LEFT)
    dash_duo.wait_for_text_to_equal("#" + Ids.PRESENT_COUNTER, "2 / 3", timeout=20)

    dash_duo.driver.execute_script("arguments[0].click();", dash_duo.find_element("#" + Ids.PRESENT_SWITCH))
    until(lambda: urlparse(dash_duo.driver.current_url).path == "/survival", timeout=20)
    assert "present" not in _query(dash_duo.driver.current_url)
    until(lambda: "ppx-present" not in dash_duo.find_element("body").get_attribute("class"), timeout=10)
    assert _severe(dash_duo.get_logs()) == []


def test_add_to_deck_and_the_copied_link_reopens_the_view(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival?endpoint=pps&group=pp_group", timeout=20)
    dash_duo.wait_for_element("#" + Ids.SURV_FIGURE + " .js-plotly-plot", timeout=30)
    add = dash_duo.find_element(f'[id*=\'"type":"{Ids.DECK_ADD}"\']')
    dash_duo.driver.execute_script("arguments[0].click();", add)
    until(lambda: _query(dash_duo.driver.current_url).get("deck") == ["km.pps.pp_group"], timeout=20)

    path = "/present?first_line=lenvatinib&present=1&deck=km.pps.pp_group,response.first_line&slide=2"
    dash_duo.wait_for_page(url=dash_duo.server_url + path, timeout=20)
    dash_duo.wait_for_text_to_equal("#" + Ids.PRESENT_COUNTER, "2 / 2", timeout=30)
    until(lambda: dash_duo.find_element("#" + Ids.SHARE_LINK).get_attribute("textContent") != "", timeout=10)
    link = dash_duo.find_element("#" + Ids.SHARE_LINK).get_attribute("textContent")
    assert link == dash_duo.driver.current_url
    assert dash_duo.find_element("#" + Ids.COPY_LINK)  # the Clipboard copies exactly this text

    dash_duo.driver.get("about:blank")
    dash_duo.driver.get(link)
    dash_duo.wait_for_text_to_equal("#" + Ids.PRESENT_COUNTER, "2 / 2", timeout=30)
    dash_duo.wait_for_contains_text("#" + Ids.PRESENT_TITLE, "Best response", timeout=30)
    badge = "#" + Ids.N_BADGE  # hidden with the filter column in presenter mode: read its textContent
    until(lambda: "n = 204 of 513" in dash_duo.find_element(badge).get_attribute("textContent"), timeout=20)
    assert dash_duo.find_element("#" + Ids.PRESENT_SWITCH).is_selected()
    _press(dash_duo, Keys.ARROW_LEFT)
    dash_duo.wait_for_contains_text("#" + Ids.PRESENT_TITLE, "Post-progression survival", timeout=30)
    assert _severe(dash_duo.get_logs()) == []


def test_the_slide_deck_downloads_from_a_background_job(dash_duo: Any, ppx_app: Any) -> None:
    from pathlib import Path

    from pptx import Presentation

    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/present?present=1&first_line=lenvatinib", timeout=20)
    dash_duo.wait_for_element(f"#{Ids.PRESENT_FIGURE} .js-plotly-plot", timeout=40)
    downloads = Path(dash_duo.download_path)
    dash_duo.find_element("#" + Ids.PRESENT_DECK_BUTTON).click()
    until(lambda: any(p.suffix == ".pptx" for p in downloads.iterdir()), timeout=90)
    deck = next(p for p in downloads.iterdir() if p.suffix == ".pptx")
    until(lambda: deck.stat().st_size > 10_000, timeout=10)
    text = " ".join(
        shape.text_frame.text
        for slide in Presentation(str(deck)).slides
        for shape in slide.shapes
        if shape.has_text_frame
    )
    assert "SYNTHETIC" in text and "lenvatinib" in text.lower()
    until(lambda: dash_duo.find_element("#" + Ids.PRESENT_DECK_BUTTON).is_enabled(), timeout=20)
    assert _severe(dash_duo.get_logs()) == []
