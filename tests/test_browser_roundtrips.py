"""Issue 16: a click on the Survival page is one wave of server callbacks, not a chain.

The browser's callback requests are recorded (what each one asks for, when it is sent and answered). A filter
click renders no page and sends the KM view's callback in the first wave after the filter→URL sync; a view
option (the endpoint) sends no server request to write the URL, so the KM callback goes in the first wave. The
page opens with its KM figure in the layout: no callback request draws it.
"""

from __future__ import annotations

from typing import Any

import pytest
from dash.testing.wait import until

from app.ids import Ids

pytestmark = pytest.mark.browser

RECORD_JS = """
window.__ppxCalls = [];
const realFetch = window.fetch.bind(window);
window.fetch = (...args) => {
  const url = String(args[0] && args[0].url || args[0]);
  if (!url.includes('_dash-update-component')) return realFetch(...args);
  let output = '';
  try { output = JSON.parse(args[1].body).output; } catch (e) {}
  const call = {output, sent: performance.now(), answered: null};
  window.__ppxCalls.push(call);
  return realFetch(...args).finally(() => { call.answered = performance.now(); });
};
"""


def _calls(dash_duo: Any) -> list[dict[str, Any]]:
    return list(dash_duo.driver.execute_script("return window.__ppxCalls"))


def _settled(dash_duo: Any) -> list[dict[str, Any]]:
    """The calls once every one has been answered and none was added for half a second."""
    seen: list[int] = []

    def quiet() -> bool:
        calls = _calls(dash_duo)
        done = all(c["answered"] is not None for c in calls)
        seen.append(len(calls) if done else -1)
        return done and len(seen) > 5 and len(set(seen[-6:])) == 1

    until(quiet, timeout=60, poll=0.1)
    return _calls(dash_duo)


def _km(calls: list[dict[str, Any]]) -> dict[str, Any]:
    found = [c for c in calls if f"{Ids.SURV_FIGURE}.figure" in c["output"]]
    assert len(found) == 1, [c["output"][:60] for c in calls]
    return found[0]


def _one_wave(calls: list[dict[str, Any]]) -> None:
    """At most the filter/URL sync, then the KM callback in the wave after it: sent before any callback sent
    with it has answered (callbacks that read a control directly may go before the sync; they do not count)."""
    assert not [c for c in calls if "_pages_content" in c["output"]], "the click rendered the page again"
    sync = [c for c in calls if c["output"].startswith(f"..{Ids.URL}.search...{Ids.F_FIRST_LINE}.value")]
    assert len(sync) <= 1, [c["output"][:60] for c in calls]
    km = _km(calls)
    after = sync[0]["answered"] if sync else 0.0
    others = [c for c in calls if c is not km and c not in sync and c["sent"] >= after]
    trace = [(c["output"][:50], round(c["sent"]), round(c["answered"])) for c in calls]
    assert km["sent"] < min(c["answered"] for c in others), f"the KM callback waited for another callback: {trace}"


def test_a_filter_or_option_click_is_one_wave_of_callbacks(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_JS})
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival?group=first_line", timeout=30)
    dash_duo.wait_for_element(f"#{Ids.SURV_FIGURE} .js-plotly-plot", timeout=30)
    at_load = _settled(dash_duo)
    assert not [c for c in at_load if f"{Ids.SURV_FIGURE}.figure" in c["output"]], "the layout draws the KM view"

    dash_duo.driver.execute_script("window.__ppxCalls = []")
    dash_duo.find_element(f"#{Ids.F_FIRST_LINE} input[value='lenvatinib']").click()
    calls = _settled(dash_duo)
    _one_wave(calls)
    assert "lenvatinib" in dash_duo.driver.execute_script("return location.search")
    hidden = [c["output"][:60] for c in calls if Ids.EMU_OUTPUT in c["output"] or Ids.PAR_OUTPUT in c["output"]]
    assert not hidden, f"a click asked for sections nobody sees (guard hidden, parametric off): {hidden}"

    dash_duo.driver.execute_script("window.__ppxCalls = []")
    dash_duo.find_element(f"#{Ids.SURV_ENDPOINT} input[value='pfs']").click()
    calls = _settled(dash_duo)
    assert not [c for c in calls if c["output"].startswith(f"{Ids.URL}.search")], "a server callback wrote the URL"
    _one_wave(calls)
    until(lambda: "endpoint=pfs" in dash_duo.driver.execute_script("return location.search"), timeout=10)
    assert "Progression-free" in dash_duo.find_element(f"#{Ids.SURV_FIGURE}").text


def test_a_section_asks_for_its_numbers_only_while_it_is_seen(dash_duo: Any, ppx_app: Any) -> None:
    """The target-trial panel (inside the immortal-time guard) and the parametric section compute on a filter
    click only while they are shown: with a guarded view and the switch on, a filter click asks for each once."""
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_JS})
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival?group=pp_received", timeout=30)
    dash_duo.wait_for_element(f"#{Ids.EMU_SUMMARY}", timeout=60)  # the guarded view opens with the estimate
    _settled(dash_duo)
    dash_duo.driver.execute_script(f"document.getElementById('{Ids.PAR_SWITCH}').click();")
    dash_duo.wait_for_element(f"#{Ids.PAR_OUTPUT} .js-plotly-plot", timeout=90)
    _settled(dash_duo)

    dash_duo.driver.execute_script("window.__ppxCalls = []")
    dash_duo.find_element(f"#{Ids.F_FIRST_LINE} input[value='sorafenib']").click()
    calls = _settled(dash_duo)
    for section in (Ids.EMU_OUTPUT, Ids.PAR_OUTPUT):
        assert len([c for c in calls if f"{section}.children" in c["output"]]) == 1, (section, calls)

    dash_duo.driver.execute_script("window.__ppxCalls = []")  # an endpoint change: the section is asked once
    dash_duo.find_element(f"#{Ids.SURV_ENDPOINT} input[value='pfs']").click()
    calls = _settled(dash_duo)
    asked = [c for c in calls if f"{Ids.PAR_OUTPUT}.children" in c["output"]]
    assert len(asked) == 1, [c["output"][:60] for c in calls]
    assert "endpoint=pfs" in dash_duo.driver.execute_script("return location.search")
