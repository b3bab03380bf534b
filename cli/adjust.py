"""`ppx adjust`: a propensity-weighted (confounding-adjusted) comparison of two groups in any CSV file.

Times stay in the file's own unit. ``--json`` prints a stable contract (keys
may be added, never renamed): ``treatment``, ``reference``, ``treated``,
``estimand``, ``n``, ``n_excluded``, ``propensity{terms[{term, coef, se}],
auc}``, ``weights{min, max, ess{level: value}, trimmed}``,
``balance[{covariate, smd_unweighted, smd_weighted}]`` (a category's level
named ``COLUMN=LEVEL``), ``groups[{group, n, median, median_ci, at[{time,
survival, ci}]}]`` (weighted Kaplan–Meier; CIs from the bootstrap, null
without it), ``cox{coef, hr, ci, p, se_robust}`` (weighted, robust SE),
``rmst{tau, difference, ci}`` and ``e_value{point, ci_limit}``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from analysis.adjusted import AdjustedComparison, adjusted_comparison
from analysis.formatting import fmt_hr, fmt_p_eq
from analysis.io import read_table
from analysis.weights import BALANCE_THRESHOLD, ESTIMAND_LABELS, ESTIMANDS
from cli.common import add_json_option, parse_times
from cli.jsonout import dumps


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "adjust",
        help="propensity-weighted (confounding-adjusted) survival comparison of a two-level treatment",
        description="Propensity-score weighting for any CSV/TSV file with a two-level treatment: the propensity "
        "model (as R's glm), ATE/ATT/overlap weights, balance (standardised mean differences before and after), "
        "weighted Kaplan–Meier, weighted Cox with robust SE, RMST difference, bootstrap CIs that re-estimate the "
        "propensity model, and the E-value. Times are in the file's own unit. Rows missing a needed value are "
        "excluded and counted.",
    )
    parser.add_argument("--data", required=True, metavar="FILE", help="CSV file (TSV if it ends in .tsv)")
    parser.add_argument("--treatment", required=True, metavar="COL", help="two-level treatment (group) column")
    parser.add_argument("--covariates", required=True, metavar="A,B,C", help="covariates of the propensity model")
    parser.add_argument(
        "--categorical", default="", metavar="C", help="numeric-coded covariates to treat as categories (A,B)"
    )
    parser.add_argument(
        "--reference", metavar="LEVEL", help="reference (comparison) level of the treatment; default: first level"
    )
    parser.add_argument("--time", required=True, metavar="COL", help="follow-up time column")
    parser.add_argument("--event", required=True, metavar="COL", help="event column coded 0/1 or true/false")
    parser.add_argument("--estimand", choices=ESTIMANDS, default="ate", help="weights (default ate)")
    parser.add_argument("--times", default="", metavar="T1,T2", help="times for the weighted survival")
    parser.add_argument("--tau", type=float, metavar="T", help="RMST horizon (default: the shorter follow-up)")
    parser.add_argument("--trim", type=float, metavar="Q", help="trim weights above this quantile (e.g. 0.99)")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="N", help="bootstrap resamples (default 0)")
    parser.add_argument("--seed", type=int, default=2022, metavar="S", help="bootstrap seed (default 2022)")
    add_json_option(parser)
    parser.set_defaults(func=run)


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _number(value: float | None, digits: int = 4) -> str:
    return "NR" if value is None else f"{value:.{digits}g}"


def _ci(ci: Any, digits: int = 4) -> str:
    low, high = ci
    if low is None and high is None:
        return ""
    dash = " to " if (low is not None and low < 0) or (high is not None and high < 0) else "–"
    return f" ({_number(low, digits)}{dash}{_number(high, digits)})"


def _text(result: AdjustedComparison) -> str:
    w = result.weighting
    boot = f"{result.n_bootstrap} bootstrap resamples (seed {result.seed})" if result.n_bootstrap else "no bootstrap"
    lines = [
        f"{w.treated!r} vs {w.reference!r} of {result.treatment!r}, {ESTIMAND_LABELS[result.estimand]}: "
        f"{result.n} patients, {result.n_excluded} excluded for missing values; {boot}.",
        "",
        f"Propensity model (logistic, P({result.treatment} = {w.treated})): AUC {w.propensity.auc:.3f}",
    ]
    lines += [f"  {t.term:<28}{t.coef:>11.4g}  SE {t.se:.4g}" for t in w.propensity.terms]
    ess = ", ".join(f"{k} {v:.1f} of {n}" for (k, v), (_, n) in zip(w.summary.ess, w.summary.n, strict=True))
    trimmed = f"; {w.summary.trimmed} trimmed at the {w.summary.trim:g} quantile" if w.summary.trim else ""
    lines += ["", f"Weights {w.summary.min:.3g} to {w.summary.max:.3g}; effective sample size {ess}{trimmed}."]
    lines += ["", f"Balance (standardised mean difference; |SMD| > {BALANCE_THRESHOLD:g} marked *):"]
    lines += [f"  {'covariate':<28}{'before':>9}{'after':>9}"]
    for b in w.balance:
        flag = " *" if abs(b.smd_weighted) > BALANCE_THRESHOLD else ""
        lines.append(f"  {b.covariate:<28}{b.smd_unweighted:>9.3f}{b.smd_weighted:>9.3f}{flag}")
    lines += ["", "Weighted Kaplan–Meier (CIs from the bootstrap):"]
    for g in result.groups:
        at = "; ".join(f"S({a.time:g}) {_number(a.survival, 3)}{_ci(a.ci, 3)}" for a in g.at)
        lines.append(f"  {g.group:<16} n {g.n:>6}  median {_number(g.median)}{_ci(g.median_ci)}  {at}")
    naive, cox = result.cox_naive, result.cox
    lines += [
        "",
        f"Hazard ratio {w.treated} vs {w.reference}: unadjusted {cox_text(naive.hr, naive.ci, naive.p)}; "
        f"weighted {cox_text(cox.hr, cox.ci, cox.p)} (robust SE {_number(cox.se_robust)})",
        f"RMST difference to {result.rmst.tau:g}: {result.rmst.difference:.4g}{_ci(result.rmst.ci)} "
        f"(unadjusted {result.rmst.naive_difference:.4g})",
        f"E-value: {result.e_value.point:.3g} (CI limit: {result.e_value.ci_limit:.3g}); {result.e_value.method}",
    ]
    if result.warnings or result.notes:
        lines += ["", *[f"Warning: {m}" for m in result.warnings], *[f"Note: {m}" for m in result.notes]]
    return "\n".join(lines)


def cox_text(hr: float, ci: tuple[float, float], p: float) -> str:
    return f"HR {fmt_hr(hr, ci)}, {fmt_p_eq(p)}"


def run(args: argparse.Namespace) -> int:
    frame = read_table(args.data)
    result = adjusted_comparison(
        frame,
        args.treatment,
        _names(args.covariates),
        args.time,
        args.event,
        estimand=args.estimand,
        categorical=_names(args.categorical),
        reference=args.reference,
        times=parse_times(args.times),
        tau=args.tau,
        trim=args.trim,
        n_bootstrap=args.bootstrap,
        seed=args.seed,
        progress=None if args.json or not sys.stderr.isatty() else _progress,
    )
    if args.json:
        print(dumps(result.to_dict()))
    else:
        print(_text(result))
    return 0


def _progress(done: int, total: int) -> None:
    print(f"\rbootstrap {done}/{total}", end="" if done < total else "\n", file=sys.stderr)
