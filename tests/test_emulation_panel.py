"""The target-trial panel's seam and layout (no browser): options, messages, rows."""

from __future__ import annotations

from typing import Any

import pytest

from analysis.cohort import load_bundled_cohort
from analysis.emulate import emulate_trial
from app.components.emulation import comparison_rows, flow_rows, result_block
from app.components.presenter import ViewRef
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


def _panel_download(ppx_app: Any, search: str, button: str, **values: Any) -> dict[str, Any]:
    """What the panel's export button downloads, through the real callback: the request a browser posts, with the
    panel's control values (``grace``, ``therapy``, ``boot``: the bootstrap's message, None until it has run)."""
    from bench.dash_payloads import CALLBACK_PATH, Dependencies

    client = ppx_app.server.test_client()
    client.get(f"/survival{search}")  # a session, as a browser has
    deps = Dependencies(client.get("/_dash-dependencies").get_json())
    state = {
        f"{button}.n_clicks": 1,
        f"{Ids.EMU_GRACE}.value": values.get("grace", "3"),
        f"{Ids.EMU_THERAPY}.value": values.get("therapy", "any"),
        f"{Ids.EMU_BOOT_OUTPUT}.children": values.get("boot"),
        "url.search": search,
    }
    body = deps.body(f"{Ids.EMU_DOWNLOAD}.data", state, changed=[f"{button}.n_clicks"])
    response = client.post(CALLBACK_PATH, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    data: dict[str, Any] = response.get_json()["response"][Ids.EMU_DOWNLOAD]["data"]
    return data


def _cells(sheet: Any) -> list[str]:
    return [str(c.value) for row in sheet.iter_rows() for c in row if c.value]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_panels_own_export_is_the_view_on_screen_with_its_caveat_first(ppx_app: Any, lang: str) -> None:
    """The panel's "Figure (PNG)" and "Tables (XLSX)" buttons, through the real callback: a 2-month grace period
    (not the token's default) gives that view's file, as ``ppx export --view emulation.any.grace2`` does; every
    sheet's footer leads with the caveat, once, then names the method with that grace period, in the page's
    language."""
    import base64
    from io import BytesIO

    from openpyxl import load_workbook
    from PIL import Image

    from analysis.filters import FilterSpec
    from app import datasets
    from app.components import panel_slides, presenter
    from app.i18n import t

    search = "?group=pp_received&first_line=lenvatinib,sorafenib" + ("&lang=ja" if lang == "ja" else "")
    with ppx_app.server.test_request_context(f"/survival{search}"):
        fingerprint = datasets.active_cohort().fingerprint
        spec = FilterSpec(first_line=("lenvatinib", "sorafenib"))
        ref = ViewRef.from_token("emulation.any.grace2")
        assert ref is not None
        expected = presenter.export_view(ref, spec, "xlsx", lang=lang)
        view = panel_slides.PanelView(ref.option, fingerprint=fingerprint, spec=spec, lang=lang)
        method = panel_slides.builder("emulation").method(view)
    assert method is not None and ("grace period 2 months" in method) == (lang == "en")

    tables = _panel_download(ppx_app, search, Ids.EMU_EXPORT_XLSX, grace="2")
    assert tables["filename"] == expected[0] and "-grace2-" in expected[0]
    book = load_workbook(BytesIO(base64.b64decode(tables["content"])))
    caveat = t(lang, panel_slides.EMULATION_CAVEAT)
    footers = []
    for sheet in book.worksheets:
        cells = _cells(sheet)
        assert sum(caveat in cell for cell in cells) == 1, (sheet.title, cells[-3:])
        footers.append(cells[-1] if sheet.title != book.worksheets[-1].title else " · ".join(cells))
    for footer in footers:
        assert footer.startswith(caveat) and method in footer and footer.index(caveat) < footer.index(method), footer
    reference = load_workbook(BytesIO(expected[1]))
    assert [[c.value for row in s.iter_rows() for c in row] for s in book.worksheets] == [
        [c.value for row in s.iter_rows() for c in row] for s in reference.worksheets
    ]  # the page's file is the token's (ppx export --view, the deck)

    figure = _panel_download(ppx_app, search, Ids.EMU_EXPORT_PNG, grace="2")
    assert figure["filename"].startswith("ppx-emulation-any-grace2-") and figure["filename"].endswith("-double.png")
    image = Image.open(BytesIO(base64.b64decode(figure["content"])))
    assert image.format == "PNG" and image.size[0] == round(174 / 25.4 * 300)  # a double column at 300 dpi


@pytest.mark.slow
def test_after_the_bootstrap_the_export_has_its_cis(ppx_app: Any) -> None:
    """Once the bootstrap has run (its message is on screen, its result in the cache), the export is that view:
    the emulated trial's HR and RMST difference with their bootstrap CIs, not "run the bootstrap"; the token says
    ``.boot``. Before it, the same panel exports the point estimate."""
    import base64
    from io import BytesIO

    from openpyxl import load_workbook

    from analysis.emulate import EmulationResult
    from analysis.filters import FilterSpec
    from app import datasets
    from app.components.emulation import comparison_rows
    from app.emulation_views import BOOTSTRAP_RESAMPLES, emulation_view, options_of

    search = "?group=pp_ici"
    with ppx_app.server.test_request_context(f"/survival{search}"):  # the job's run, into the cache
        result = emulation_view(
            datasets.active_cohort().fingerprint, FilterSpec(), options_of("3", "ici"), n_bootstrap=BOOTSTRAP_RESAMPLES
        )
    assert isinstance(result, EmulationResult) and result.n_bootstrap == BOOTSTRAP_RESAMPLES
    rows = [row[:2] for row in comparison_rows(result)]
    assert "run the bootstrap" not in rows[3][1]

    done = _panel_download(ppx_app, search, Ids.EMU_EXPORT_XLSX, therapy="ici", boot={"props": {"children": "done"}})
    before = _panel_download(ppx_app, search, Ids.EMU_EXPORT_XLSX, therapy="ici")
    assert done["filename"].startswith("ppx-emulation-ici-boot-")
    assert before["filename"].startswith("ppx-emulation-ici-") and "-boot-" not in before["filename"]
    sheets = [load_workbook(BytesIO(base64.b64decode(d["content"]))).worksheets[0] for d in (done, before)]
    cells = [[[c.value for c in row][:2] for row in sheet.iter_rows()] for sheet in sheets]
    assert rows[3] in cells[0] and rows[5] in cells[0], cells[0]  # the bootstrap CIs, as the page shows them
    assert rows[3] not in cells[1] and any("run the bootstrap" in str(r[1]) for r in cells[1])
    footers = [_cells(sheet)[-1] for sheet in sheets]
    resamples = f"CIs and bands from {BOOTSTRAP_RESAMPLES} bootstrap resamples (seed {result.seed})"
    assert resamples in footers[0] and "when run" not in footers[0], footers[0]  # the method says what was done
    assert resamples not in footers[1] and "(bootstrap CIs when run)" in footers[1]
