"""Back and forward show the view of the URL they arrive at: its figure and the controls that set it.

The view lives in the URL, and a click rewrites the URL without rendering the page again, so the page's controls
were last set by the render. Back to exactly the URL the page was rendered for used to leave the controls at the
later view while the figure followed the URL (Dash's router saw no change of its location).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from dash.testing.wait import until

from app.ids import Ids

pytestmark = pytest.mark.browser

GRAPH = f"#{Ids.SURV_FIGURE} .js-plotly-plot"

SIGNATURE_JS = f"""
const gd = document.querySelector('{GRAPH}');
if (!gd || !gd.data || !gd.data.length) return null;
return JSON.stringify(gd.data.map(t => [t.name, (t.x || []).length, (t.y || []).slice(-1)]));
"""


def _signature(dash_duo: Any) -> str | None:
    value: str | None = dash_duo.driver.execute_script(SIGNATURE_JS)
    return value


def _checked(dash_duo: Any, control: str) -> str | None:
    value: str | None = dash_duo.driver.execute_script(
        f"const c = document.querySelector('#{control} input:checked'); return c ? c.value : null;"
    )
    return value


def _search(dash_duo: Any) -> str:
    return urlsplit(dash_duo.driver.current_url).query


def _shows(dash_duo: Any, query: str, endpoint: str, first_line: str, figure: str) -> None:
    """The URL, the endpoint and first-line controls and the figure all show one view."""
    until(lambda: _search(dash_duo) == query, timeout=20)
    until(lambda: _checked(dash_duo, Ids.SURV_ENDPOINT) == endpoint, timeout=20)
    until(lambda: _checked(dash_duo, Ids.F_FIRST_LINE) == first_line, timeout=20)
    until(lambda: _signature(dash_duo) == figure, timeout=20)


def test_back_and_forward_set_the_controls_and_the_figure_of_the_url(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival?group=first_line", timeout=30)
    dash_duo.wait_for_element(GRAPH, timeout=30)
    until(lambda: _signature(dash_duo) is not None, timeout=30)
    os_all = _signature(dash_duo)
    assert _checked(dash_duo, Ids.SURV_ENDPOINT) == "os" and _checked(dash_duo, Ids.F_FIRST_LINE) == "all"

    dash_duo.find_element(f"#{Ids.SURV_ENDPOINT} input[value='pfs']").click()  # rewrites the URL, no page render
    until(lambda: "endpoint=pfs" in _search(dash_duo), timeout=20)
    until(lambda: _signature(dash_duo) not in (None, os_all), timeout=20)
    pfs_all = _signature(dash_duo)
    dash_duo.find_element(f"#{Ids.F_FIRST_LINE} input[value='lenvatinib']").click()
    until(lambda: "first_line=lenvatinib" in _search(dash_duo), timeout=20)
    until(lambda: _signature(dash_duo) not in (None, pfs_all), timeout=20)
    pfs_lenvatinib = _signature(dash_duo)
    lenvatinib_query = _search(dash_duo)

    dash_duo.driver.back()
    _shows(dash_duo, "group=first_line&endpoint=pfs", "pfs", "all", pfs_all)
    dash_duo.driver.back()  # the URL the page was rendered for
    _shows(dash_duo, "group=first_line", "os", "all", os_all)
    dash_duo.driver.forward()
    _shows(dash_duo, "group=first_line&endpoint=pfs", "pfs", "all", pfs_all)
    dash_duo.driver.forward()
    _shows(dash_duo, lenvatinib_query, "pfs", "lenvatinib", pfs_lenvatinib)
    assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []
