"""`ppx parametric`: exponential, Weibull, Gompertz, log-normal, log-logistic and generalised gamma fits per group.

Times stay in the file's own unit. ``--json`` prints a stable contract (keys may be added, never renamed):
``time``, ``event``, ``by``, ``n``, ``n_excluded``, ``models``, ``horizon``, ``bandwidth``, ``selection_rule``,
``ci_method``, ``extrapolation``, ``groups[{group, n, events, max_time, chosen, fits[{model, label, fitted, reason,
chosen, n_params, log_likelihood, aic, bic, parameters[{name, value, se}], survreg{intercept, scale}, median,
survival_at[{time, survival}], rmst{value, ci, reason}, mean{value, ci, reason}, notes}], notes}]`` and, with
``--covariates``, ``aft{covariates, n, n_events, n_excluded, warnings, models[{model, intercept, scale,
log_likelihood, aic, terms[{term, coef, se, time_ratio, ci, p}]}]}``.
"""

from __future__ import annotations

import argparse
from typing import Any

from analysis.parametric import MODELS, AFTResult, Estimate, ParametricResult, aft_regression, parametric_fits
from cli.common import add_filter_option, add_json_option, add_survival_columns, aligned, load_frame, note, parse_times
from cli.jsonout import dumps


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "parametric",
        help="parametric survival models per group (AIC/BIC, RMST, extrapolated mean, AFT time ratios)",
        description="Fits exponential, Weibull, Gompertz, log-normal, log-logistic and generalised gamma models "
        "(lifelines) per group: log-likelihood, AIC, BIC (lowest AIC chosen), median, survival at times, RMST to a "
        "horizon and the extrapolated mean survival with delta-method 95%% CIs. With --covariates, Weibull, "
        "log-normal and log-logistic AFT regressions (time ratios; as R's survreg). A model that cannot be fitted "
        "is listed with the reason. Times are in the file's own unit.",
    )
    add_survival_columns(parser, time_help="follow-up time column (times > 0)")
    parser.add_argument("--by", metavar="COL", help="group column (default: one group)")
    parser.add_argument(
        "--models", default=",".join(MODELS), metavar="M1,M2", help=f"models (default all: {','.join(MODELS)})"
    )
    parser.add_argument("--horizon", type=float, metavar="T", help="RMST horizon (default: the shortest follow-up)")
    parser.add_argument("--times", default="", metavar="T1,T2", help="times for the fitted survival")
    parser.add_argument("--bandwidth", type=float, metavar="B", help="bandwidth of the smoothed hazard")
    parser.add_argument("--covariates", default="", metavar="A,B", help="covariates of the AFT regressions")
    parser.add_argument(
        "--categorical", default="", metavar="C", help="numeric-coded covariates to treat as categories"
    )
    add_filter_option(parser)
    add_json_option(parser)
    parser.set_defaults(func=run)


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _num(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}g}"


def _estimate(e: Estimate | None) -> str:
    if e is None:
        return "–"
    if e.value is None:
        return f"not estimable: {e.reason}"
    low, high = e.ci
    return f"{_num(e.value)} ({_num(low)}–{_num(high)})" if low is not None else f"{_num(e.value)} ({e.reason})"


def _text(result: ParametricResult, aft: AFTResult | None) -> str:
    lines = [
        f"Parametric models of {result.time_col!r} / {result.event_col!r}"
        + (f" by {result.group_col!r}" if result.group_col else "")
        + f": {result.n} patients, {result.n_excluded} excluded for missing values; RMST horizon "
        f"{result.horizon:g}; smoothed-hazard bandwidth {result.bandwidth:g}.",
        result.selection_rule,
    ]
    for g in result.groups:
        lines += ["", f"{g.group}: n {g.n}, {g.events} events, follow-up to {g.max_time:g}"]
        header = ["model", "k", "logLik", "AIC", "BIC", "median", f"RMST({result.horizon:g})", "mean (extrapolated)"]
        rows = []
        for f in g.fits:
            if not f.fitted:
                rows.append([f.label, "", "", "", "", "", f"not fitted: {f.reason}", ""])
                continue
            rows.append(
                [
                    f.label + (" *" if f.chosen else ""),
                    str(f.n_params),
                    f"{f.log_likelihood:.3f}",
                    f"{f.aic:.2f}",
                    f"{f.bic:.2f}",
                    _num(f.median),
                    _estimate(f.rmst),
                    _estimate(f.mean),
                ]
            )
        lines += ["  " + line for line in aligned(header, rows)]
        for f in g.fits:
            if f.fitted and f.survival_at:
                at = "; ".join(f"S({t:g}) {s:.3f}" for t, s in f.survival_at)
                lines.append(f"  {f.label}: {at}")
            lines += [f"  {f.label}: note: {n}" for n in f.notes]
        lines += [f"  note: {n}" for n in g.notes]
    lines += ["", "* chosen (lowest AIC). CIs: " + result.ci_method + ".", result.extrapolation]
    if aft is not None:
        lines += [
            "",
            f"AFT regressions on {', '.join(aft.covariates)}: {aft.n} patients, {aft.n_events} events "
            f"({aft.n_excluded} excluded). Time ratio (95% CI), p:",
        ]
        for m in aft.models:
            if not m.fitted:
                lines.append(f"  {m.label}: not fitted: {m.reason}")
                continue
            lines.append(f"  {m.label} (scale {m.scale:.4g}, logLik {m.log_likelihood:.3f}, AIC {m.aic:.2f})")
            for t in m.terms:
                lines.append(f"    {t.term:<28}{t.time_ratio:>8.3f} ({t.ci[0]:.3f}–{t.ci[1]:.3f})  p {t.p:.3g}")
        lines += [f"  warning: {w}" for w in aft.warnings]
        lines.append(aft.reading)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    covariates = _names(args.covariates)
    loaded = load_frame(args.data, args.filters, [args.by, *covariates])
    result = parametric_fits(
        loaded.frame,
        args.time,
        args.event,
        args.by,
        models=_names(args.models),
        horizon=args.horizon,
        times=parse_times(args.times),
        bandwidth=args.bandwidth,
    )
    aft = (
        aft_regression(loaded.frame, args.time, args.event, covariates, categorical=_names(args.categorical))
        if covariates
        else None
    )
    if args.json:
        payload = result.to_dict()
        if aft is not None:
            payload["aft"] = aft.to_dict()
        print(dumps(payload))
    else:
        if result.horizon > min(g.max_time for g in result.groups):
            note("parametric", "the RMST horizon is beyond a group's follow-up: that part is extrapolated")
        print(_text(result, aft))
    return 0
