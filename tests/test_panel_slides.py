"""The adjusted-comparison and target-trial views as slides and figure exports (kinds ``adjusted``, ``emulation``).

The deck is read back with python-pptx: each slide's title fits one line at its size, the figure is a picture
drawn for its box, the table holds the naive estimate beside the adjusted one, and the footer names the method
and says what the adjustment cannot remove. The deck is also written to build/ for rendering and looking at.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pptx import Presentation
from pptx.util import Emu

from analysis.filters import FilterSpec
from app import exporting
from app.cache import cache
from app.components import presenter
from app.components.measure import text_width_in
from app.components.presenter import ViewRef

TOKENS = ("adjusted.os.first_line", "adjusted.os.pp_landmark", "emulation.any")
BUILD = Path(__file__).resolve().parents[1] / "build"


@pytest.fixture(scope="module")
def context() -> Iterator[None]:
    server = Flask("test-panel-slides")
    cache.init_app(server, config={"CACHE_TYPE": "SimpleCache"})
    exporting.start_export_browser()
    with server.app_context():
        yield
    exporting.stop_export_browser()


def test_tokens_round_trip_and_unknown_options_are_dropped() -> None:
    for token in TOKENS:
        ref = ViewRef.from_token(token)
        assert ref is not None and ref.token() == token
    assert ViewRef.from_token("adjusted.os.nonsense") is None
    assert ViewRef.from_token("emulation.chemo") is None
    assert [r.token() for r in presenter.parse_deck(",".join(TOKENS))] == list(TOKENS)


def test_emulation_tokens_carry_the_grace_period_and_the_bootstrap() -> None:
    """``emulation.any`` stays the default view (3 months, no bootstrap); another grace period the panel offers and
    a run bootstrap are in the token, a spelled-out default is read as the default, and anything else is refused."""
    from analysis.emulate import THERAPIES
    from app.emulation_views import DEFAULT_GRACE, GRACE_CHOICES, EmulationOptions, EmulationView, view_from_text

    for therapy in THERAPIES:
        for grace in GRACE_CHOICES:
            for bootstrap in (False, True):
                trial = EmulationView(EmulationOptions(grace, therapy), bootstrap)
                ref = presenter.emulation_ref(trial)
                assert ViewRef.from_token(ref.token()) == ref and view_from_text(ref.option) == trial
                tail = ("" if grace == DEFAULT_GRACE else f".grace{grace:g}") + (".boot" if bootstrap else "")
                assert ref.token() == f"emulation.{therapy}{tail}"
    ref = ViewRef.from_token("emulation.ici.grace3")
    assert ref is not None and ref.token() == "emulation.ici"
    for token in ("emulation.any.grace5", "emulation.any.grace", "emulation.any.2", "emulation.any.grace2.x",
                  "emulation.any.grace٢", "emulation.grace2", "emulation.any.grace-1", "emulation.any.boot.grace2",
                  "emulation.any.grace2.boot.boot"):  # fmt: skip
        assert ViewRef.from_token(token) is None, token


def _texts(shape: Any) -> str:
    """A shape's text; the line breaks set in Japanese text (``exporting.slide_lines``) read as nothing."""
    if getattr(shape, "has_table", False):
        return " | ".join(c.text.replace("\v", "") for row in shape.table.rows for c in row.cells)
    return str(shape.text_frame.text).replace("\v", "") if getattr(shape, "has_text_frame", False) else ""


def test_deck_of_the_adjusted_and_emulation_views(context: None) -> None:
    refs = [r for r in (ViewRef.from_token(t) for t in TOKENS) if r is not None]
    assert len(refs) == 3
    _, pptx = presenter.export_view(refs[0], FilterSpec(), "pptx", deck=refs)
    BUILD.mkdir(exist_ok=True)
    (BUILD / "panel-slides.pptx").write_bytes(pptx)
    deck = Presentation(io.BytesIO(pptx))
    slides = list(deck.slides)
    assert len(slides) == 3
    methods = ("Method: propensity-score weighting", "Method: propensity-score weighting",
               "Method: target-trial emulation (clone–censor–weight)")  # fmt: skip
    naive = ("unweighted", "unweighted", "Naive (study-style)")
    for slide, method, unadjusted in zip(slides, methods, naive, strict=True):
        title = slide.shapes.title
        runs = [r for p in title.text_frame.paragraphs for r in p.runs]
        size_pt = runs[0].font.size.pt
        assert size_pt >= 20
        width_in = Emu(title.width).inches
        assert text_width_in(title.text_frame.text, size_pt) * 1.08 <= width_in - exporting.CELL_INSET_IN
        pictures = [s for s in slide.shapes if s.shape_type == 13]
        assert len(pictures) == 1
        assert Emu(pictures[0].top + pictures[0].height).inches <= exporting.SLIDE_CONTENT_BOTTOM_IN + 0.01
        texts = [_texts(s) for s in slide.shapes]
        footer = texts[-1]
        assert method in footer, footer
        assert "Caveat:" in footer and "confound" in footer
        assert "Dataset:" in footer and "Filters:" in footer
        assert any(unadjusted in t for t in texts if " | " in t), texts
    assert "lenvatinib vs sorafenib" in slides[0].shapes.title.text_frame.text
    assert "landmark" in slides[1].shapes.title.text_frame.text


def test_figure_exports_carry_method_and_caveat(context: None) -> None:
    for token, method in (("adjusted.os.first_line", "propensity-score weighting"),
                          ("emulation.any", "target-trial emulation")):  # fmt: skip
        ref = ViewRef.from_token(token)
        assert ref is not None
        name, svg = presenter.export_view(ref, FilterSpec(), "svg", column="double")
        assert name.endswith("-double.svg")
        text = " ".join(re.findall(r">([^<>]+)<", svg.decode("utf-8")))
        assert "Method:" in text and method in text, text[-800:]
        assert "Caveat:" in text


# ----------------------------------------------------------------------------- the Survival page's Parametric section


def test_parametric_tokens_carry_the_horizon_and_bandwidth() -> None:
    from app.components.parametric_slides import option_of, settings_of

    assert option_of(24, 3.5) == "h24-b3p5" and option_of(None, None) == "" and option_of(12, None) == "h12"
    assert settings_of("h24-b3p5") == (24, 3.5) and settings_of("") == (None, None) and settings_of("b2") == (None, 2)
    for token in ("parametric.os.first_line", "parametric.pfs.none.h24-b3p5", "parametric.os.bclc.b2"):
        ref = ViewRef.from_token(token)
        assert ref is not None and ref.token() == token, token
    assert ViewRef.from_token("parametric.os.first_line.h-x") is None  # a hand-edited URL never raises
    # the page's export bar hands its settings to the same view reference as the deck token
    ref = presenter.ref_for_page("parametric", {"group": "first_line", "endpoint": "pfs"}, {"option": "h12-b2"})
    assert ref.token() == "parametric.pfs.first_line.h12-b2"
    assert presenter.ref_for_page("parametric", {}, {"option": "=cmd()"}).option == ""


def test_parametric_slide_and_pdf_state_that_extrapolation_is_an_assumption(context: None) -> None:
    from analysis.parametric import EXTRAPOLATION_STATEMENT
    from app.i18n import t

    ref = ViewRef.from_token("parametric.os.first_line.h24")
    assert ref is not None
    BUILD.mkdir(exist_ok=True)
    for lang in ("en", "ja"):
        _, pptx = presenter.export_view(ref, FilterSpec(), "pptx", lang=lang)
        (BUILD / f"parametric-slide-{lang}.pptx").write_bytes(pptx)
        slide = next(iter(Presentation(io.BytesIO(pptx)).slides))
        texts = [_texts(s) for s in slide.shapes]
        statement = t(lang, EXTRAPOLATION_STATEMENT)
        assert statement in texts[-1], texts[-1]  # the slide's note, in its footer
        table = next(x for x in texts if " | " in x)
        assert ("RMST, 24 months" if lang == "en" else "RMST・24 か月") in table, table
        assert ("Lenvatinib" if lang == "en" else "レンバチニブ") in table
        assert len([s for s in slide.shapes if s.shape_type == 13]) == 1  # the fitted curves, one picture
        if lang == "ja":
            assert slide.shapes.title.text_frame.text == "パラメトリック生存モデル：一次治療薬別の全生存期間"
    name, svg = presenter.export_view(ref, FilterSpec(), "svg", lang="en")
    assert name.startswith("ppx-parametric-os-first_line-h24-") and name.endswith("-double.svg")
    text = " ".join(re.findall(r">([^<>]+)<", svg.decode("utf-8")))
    assert "Beyond the end of follow-up" in text and "Method: parametric survival models" in text, text[-600:]
    assert "Kaplan–Meier" in text and "(chosen)" in text
    _, csv = presenter.export_view(ref, FilterSpec(), "csv")
    body = csv.decode("utf-8-sig")
    assert "Parametric models: fit and choice" in body and "Restricted mean and extrapolated mean survival" in body
    assert body.count("Gompertz") == 4  # every model of both groups, in both tables


def test_table_exports_of_both_panels_state_the_caveat_once_and_the_emulation_has_its_tables(context: None) -> None:
    """The CSV of the adjusted comparison names its caveat once per table (in the footer: it was also a note of the
    summary table); the target trial exports its comparison (naive beside emulated) and who enters the trial."""
    import csv

    adjusted = ViewRef.from_token("adjusted.os.first_line")
    emulation = ViewRef.from_token("emulation.any")
    assert adjusted is not None and emulation is not None
    _, data = presenter.export_view(adjusted, FilterSpec(), "csv")
    text = data.decode("utf-8-sig")
    tables = text.count("Post-Progression Explorer")  # one footer per table
    assert tables >= 2 and text.count("Weighting balances only the covariates") == tables, text[:600]

    _, data = presenter.export_view(emulation, FilterSpec(), "csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    headers = [r for r in rows if r[:2] in (["Analysis", "HR (95% CI)"], ["Eligibility", "n"])]
    assert len(headers) == 2, rows[:5]
    labels = [r[0] for r in rows if r]
    assert any(label.startswith("Naive (study-style)") for label in labels)
    assert any(label.startswith("Emulated trial: start") for label in labels)
    assert any(label.startswith("Eligible: progressed and alive") for label in labels)
    footers = [r[0] for r in rows if r and "Post-Progression Explorer" in r[0]]
    assert len(footers) == 2 and all("the emulated trial removes immortal time" in f for f in footers), footers
    eligible = next(r for r in rows if r and r[0].startswith("Eligible"))
    assert int(eligible[1]) > 0


# ----------------------------------------------------------------------------- the panels in Japanese


def test_adjusted_and_emulation_exports_in_japanese_have_no_english(context: None) -> None:
    from test_browser_i18n_sweep import english_words  # the page sweep's checker and allow-list

    from app import datasets
    from app.components import panel_slides

    refs = [r for r in (ViewRef.from_token(t) for t in ("adjusted.os.first_line", "emulation.any")) if r is not None]
    _, pptx = presenter.export_view(refs[0], FilterSpec(), "pptx", deck=refs, lang="ja")
    (BUILD / "panel-slides-ja.pptx").write_bytes(pptx)
    slides = exporting.slide_texts(pptx)
    assert len(slides) == 2
    assert "調整済み比較：一次治療薬：レンバチニブ対ソラフェニブ" in slides[0]
    assert "標的試験エミュレーション：増悪後に後治療を開始" in slides[1]
    assert "注意：重み付けでそろうのは傾向スコアモデルに入れた共変量だけです" in slides[0]  # the caveat
    assert "方法：傾向スコア重み付け" in slides[0] and "方法：増悪を起点とする標的試験エミュレーション" in slides[1]
    assert "HR レンバチニブ 対 ソラフェニブ（重み付けなし）" in slides[0]  # the table, naive beside adjusted
    assert "バイアスあり：不死時間と交絡" in slides[1]
    exported = [*slides]
    for ref in refs:  # the figure export: its drawn text and its footer
        _, svg = presenter.export_view(ref, FilterSpec(), "svg", lang="ja")
        exported.append(" ".join(re.findall(r">([^<>]+)<", svg.decode("utf-8"))))
    assert "生存確率" in exported[2] and "増悪からの月数（時間ゼロ）" in exported[3]
    fingerprint = datasets.active_cohort().fingerprint
    tables = panel_slides.builder("adjusted").export_tables(panel_slides.PanelView("first_line", "os", fingerprint,
                                                                                   lang="ja"))  # fmt: skip
    exported += [" ".join(map(str, (x.title, *x.header, *x.notes, *(c for r in x.rows for c in r)))) for x in tables]
    assert "共変量バランス（標準化平均差）" in exported[-1] and "調整前の SMD" in exported[-1]
    trial = panel_slides.builder("emulation").export_tables(panel_slides.PanelView("any", "os", fingerprint, lang="ja"))
    assert len(trial) == 2
    exported += [" ".join(map(str, (x.title, *x.header, *x.notes, *(c for r in x.rows for c in r)))) for x in trial]
    for text in exported:
        assert english_words(text) == [], (english_words(text), text[:300])


def test_ppx_export_takes_a_view_token_for_the_panels(tmp_path: Path, context: None) -> None:
    """``ppx export --view emulation.any`` writes the file the panel's export gives; a bad token is refused."""
    from cli import main as ppx

    out = tmp_path / "trial.csv"
    assert ppx(["export", "--view", "emulation.any", "--format", "csv", "--out", str(out)]) == 0
    ref = ViewRef.from_token("emulation.any")
    assert ref is not None
    assert out.read_bytes() == presenter.export_view(ref, FilterSpec(), "csv")[1]
    assert ppx(["export", "--view", "emulation.chemo", "--format", "csv", "--out", str(out)]) == 2


def test_ppx_export_of_a_non_default_grace_period(tmp_path: Path, context: None) -> None:
    """``--view emulation.any.grace2`` exports the 2-month trial: its comparison, its flow and its method's grace
    period, not the default's; the slide of that token says the same."""
    from app import datasets
    from cli import main as ppx

    out = tmp_path / "trial.csv"
    assert ppx(["export", "--view", "emulation.any.grace2", "--format", "csv", "--out", str(out)]) == 0
    text = out.read_bytes().decode("utf-8-sig")
    assert "Emulated trial: start therapy within 2 months vs not" in text and "Started the therapy within 2" in text
    assert text.count("from progression, grace period 2 months; inverse-probability") == 2  # both tables' footers
    assert "3 months" not in text, text
    ref = ViewRef.from_token("emulation.any.grace2")
    assert ref is not None
    slide = presenter.view_slide(ref, datasets.active_cohort().fingerprint, FilterSpec(), with_figure=False)
    assert slide.table is not None and "grace period 2 months" in slide.method
    assert "within 2 months" in " ".join(cell for row in slide.table.rows for cell in row)
