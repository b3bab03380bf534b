"""The target-trial panel's seam and layout (no browser): options, messages, rows."""

from __future__ import annotations

from typing import Any

from analysis.cohort import load_bundled_cohort
from analysis.emulate import emulate_trial
from app.components.emulation import comparison_rows, flow_rows, result_block
from app.emulation_views import DEFAULT_GRACE, options_of
from app.ids import Ids


def _ids(component: Any) -> list[str]:
    found: list[str] = []
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if node is None or isinstance(node, str | int | float):
            continue
        identifier = getattr(node, "id", None)
        if isinstance(identifier, str):
            found.append(identifier)
        stack.append(getattr(node, "children", None))
    return found


def test_options_fall_back_to_the_defaults() -> None:
    assert options_of("2", "ici") == options_of(2.0, "ici")
    assert options_of("7", "tki").grace == DEFAULT_GRACE and options_of(None, None).therapy == "any"
    assert options_of("abc", "any").grace == DEFAULT_GRACE


def test_result_block_puts_the_emulation_beside_naive_and_time_varying() -> None:
    result = emulate_trial(load_bundled_cohort().frame, grace=3, n_bootstrap=0)
    rows = comparison_rows(result)
    assert [r[0].split(":")[0] for r in rows][:3] == [
        "Naive (study-style)",
        "Time-varying Cox from progression, unadjusted",
        "Time-varying Cox from progression, adjusted for the model's covariates",
    ]
    assert rows[3][1].endswith("(CI: run the bootstrap)")
    assert flow_rows(result)[-2][1] == str(result.n_eligible)
    ids = _ids(result_block(result, "ppx emulate --data x --grace 3"))
    for wanted in (Ids.EMU_SUMMARY, Ids.EMU_TABLE, Ids.EMU_FIGURE, Ids.EMU_FLOW, Ids.EMU_WEIGHTS):
        assert ids.count(wanted) == 1, wanted


def test_the_panel_computes_only_where_it_is_seen(ppx_app: Any) -> None:
    """On the Survival page the panel is inside the immortal-time guard: a view that hides the guard (OS by drug,
    the default) computes no emulation; a guarded view and the Study page do."""
    import pytest
    from dash.exceptions import PreventUpdate

    from app.pages.emulation_panel import render_emulation

    with ppx_app.server.test_request_context("/"):
        for search in ("", "?first_line=lenvatinib", "?group=pp_received&endpoint=pfs"):
            with pytest.raises(PreventUpdate):
                render_emulation("3", "any", search, search, "/survival")
        for path in ("/survival", "/study"):  # no key yet: the page has not asked for the estimate
            with pytest.raises(PreventUpdate):
                render_emulation("3", "any", None, "?group=pp_received", path)
        for search, path in (("?group=pp_received", "/survival"), ("?group=pp_ici", "/ppx/survival/"), ("", "/study")):
            block, boot = render_emulation("3", "any", search, search, path)
            assert Ids.EMU_SUMMARY in _ids(block) and boot is None, (search, path)
