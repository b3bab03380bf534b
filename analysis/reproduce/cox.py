"""The Cox view's bundle: the univariate screen (one model per candidate) and the multivariable model, Efron ties,
categorical covariates with the view's reference levels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.cox import CoxResult, fit_cox, univariate_screen
from analysis.errors import PPXError
from analysis.reproduce.bundle import Reproduction, Source, assemble


@dataclass(frozen=True)
class CoxSettings:
    """What the Cox page was showing: endpoint columns, screen candidates, model covariates, categorical columns."""

    time_col: str
    event_col: str
    candidates: tuple[str, ...]
    covariates: tuple[str, ...]
    categorical: tuple[str, ...]


def _terms(result: CoxResult) -> list[dict[str, Any]]:
    return [
        {
            "covariate": t.covariate,
            "level": t.level,
            "reference": t.reference,
            "hr": t.hr,
            "lower": t.ci[0],
            "upper": t.ci[1],
            "p": t.p,
        }
        for t in result.terms
    ]


def _model(result: CoxResult | None) -> dict[str, Any] | None:
    return None if result is None else {"n": result.n, "events": result.events, "terms": _terms(result)}


def cox_expected(data: pd.DataFrame, s: CoxSettings) -> dict[str, Any]:
    """The view's numbers from the product's analysis API (the same calls as the Cox page)."""
    options: dict[str, Any] = {"categorical": list(s.categorical)}
    try:
        rows = univariate_screen(data, s.time_col, s.event_col, list(s.candidates), **options)
        screen = [{"covariate": r.covariate, "model": _model(r.result)} for r in rows]
    except PPXError:
        screen = []
    model: CoxResult | None = None
    if s.covariates:
        try:
            model = fit_cox(data, s.time_col, s.event_col, list(s.covariates), **options)
        except PPXError:
            model = None
    return {"screen": screen, "model": _model(model)}


def _levels(expected: dict[str, Any]) -> dict[str, list[str]]:
    """Each categorical covariate's levels as the product coded them: the reference first, then its terms' order."""
    levels: dict[str, list[str]] = {}
    models = [row["model"] for row in expected["screen"]] + [expected["model"]]
    for model in models:
        for term in (model or {}).get("terms", []):
            if term["level"] is not None:
                levels.setdefault(term["covariate"], [term["reference"]])
                if term["level"] not in levels[term["covariate"]]:
                    levels[term["covariate"]].append(term["level"])
    return levels


def _as_labels(values: pd.Series) -> pd.Series:
    """Numeric codes as the product's text labels (1.0 -> '1'), missing kept missing."""
    text = values.astype("string").str.replace(r"\.0$", "", regex=True).astype(object)
    text[values.isna()] = None
    return text


def cox_bundle(data: pd.DataFrame, settings: CoxSettings, source: Source) -> Reproduction:
    """The zip contents for the Cox view; ``data`` is the page's frame (after merging sparse levels, if asked)."""
    columns: Sequence[str] = list(dict.fromkeys([settings.time_col, settings.event_col, *settings.candidates,
                                                 *settings.covariates]))  # fmt: skip
    frame = data[list(columns)]
    expected = cox_expected(frame, settings)
    levels = _levels(expected)
    written = frame.assign(**{c: _as_labels(frame[c]) for c in levels if c in frame})
    names = list(levels)
    values = {
        "time_col": settings.time_col,
        "event_col": settings.event_col,
        "candidates": list(settings.candidates),
        # the screen's models the view could fit (the others show the reason instead of a hazard ratio)
        "fitted": [row["covariate"] for row in expected["screen"] if row["model"] is not None],
        "covariates": list(settings.covariates),
        "categorical_names": names,
        "categorical_levels": [levels[n] for n in names],
    }
    title = f"Cox models ({settings.time_col})"
    return assemble("cox", title, written, values, expected, ("cox.R.tmpl", "cox.py.tmpl"), source)
