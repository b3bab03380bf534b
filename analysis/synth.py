"""The synthetic KLC-like cohort: a disease-process model, not independent random columns.

PROVENANCE. ``data/synthetic_klc.csv`` is SYNTHETIC. It was written by
``ppx synth --n 513 --seed 2022 --out data/synthetic_klc.csv`` from this module.
No row describes a real patient and the file is **not** the data of the Kobe
Liver Conference study (Yano et al., JGH Open 2022;6(6):427-433). The model's
parameters were tuned, with that seed, so that the file's summary figures
resemble the study's published ones (309 sorafenib / 204 lenvatinib; ORR 15% vs
30% and DCR 50% vs 75%; no PFS or OS difference by first-line drug; longer OS
with post-progression therapy and, after lenvatinib, with an immune checkpoint
inhibitor; FIB-4, disease control, post-progression therapy and ICI in the Cox
model). Effect sizes not published by the study come from the trials and
cohorts listed in the project's facts (REFLECT, RESORCE, IMbrave150, Japanese
lenvatinib cohorts, survival after first-line failure).

Each patient goes through, in order:

1. enrolment (``first_line_start``), denser in later years;
2. the first-line drug, fixed by the calendar: sorafenib only before
   lenvatinib's approval, then mostly lenvatinib. The drug counts are quotas,
   so they are exact by construction;
3. baseline characteristics with realistic, correlated distributions;
4. best response, by quota within each drug, ranked by a score built from the
   baseline and a latent tumour aggressiveness;
5. time to progression, driven by the response, the drug and the baseline,
   with a competing risk of death before progression;
6. at progression: liver function and performance status worsen (written out
   as the optional ``*_pd`` columns, from a random stream of their own); fitness
   decides whether post-progression therapy is given (confounding by
   indication) and the therapy is chosen among those AVAILABLE on that date;
7. death after progression, with a hazard that depends on the baseline, on
   liver function at progression and, from the day it starts, on the
   post-progression therapy;
8. censoring at the administrative cut-off or at loss to follow-up.

The output holds the canonical input columns followed by the derived columns
computed by :func:`analysis.cohort.derive_endpoints`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.cohort import derive_endpoints
from analysis.errors import DataError
from analysis.schema import (
    AFP_HIGH,
    DAYS_PER_MONTH,
    DERIVED_COLUMNS,
    INPUT_COLUMNS,
    PP_CLASS_OF,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]

MAX_PATIENTS = 1_000_000
_EPOCH = date(1970, 1, 1)
_CP_SCORES = np.array([5, 6, 7, 8, 9], dtype=np.int64)
_ALBI_MEAN_BY_CP = {5: -2.72, 6: -2.42, 7: -2.12, 8: -1.90, 9: -1.70}
_TYPICAL = {"afp_high": 0.30, "bclc_c": 0.55, "albi_2b": 0.30, "albi_3": 0.01, "ecog": 0.40}
"""Typical shares (and mean ECOG) at which the death score is centred."""
_MONTH_COLUMNS = ("os_months", "pfs_months", "pps_months")


@dataclass(frozen=True)
class SynthConfig:
    """Tunable parameters of the disease-process model.

    Times are in months unless the name says otherwise; ``hr_*`` are hazard
    ratios. Calendar dates are when each drug became available in Japan
    (approximate).
    """

    # Calendar
    enrol_start: date = date(2011, 1, 1)
    enrol_end: date = date(2021, 9, 30)
    cutoff: date = date(2022, 3, 31)
    lenvatinib_from: date = date(2018, 3, 1)
    regorafenib_from: date = date(2017, 6, 1)
    ramucirumab_from: date = date(2019, 6, 1)
    cabozantinib_from: date = date(2020, 11, 1)
    atezolizumab_bevacizumab_from: date = date(2020, 9, 25)
    other_ici_from: date = date(2017, 1, 1)
    # Cohort mix
    sorafenib_share: float = 309 / 513
    sorafenib_after_lenvatinib_share: float = 0.16
    enrolment_growth: float = 1.6
    late_enrolment_growth: float = 1.6
    male_share: float = 0.80
    age_mean: float = 73.0
    age_sd: float = 9.0
    afp_median: float = 90.0
    afp_log_sd: float = 2.0
    fib4_median: float = 3.7
    # Response (denominator: all patients of the drug)
    orr_sorafenib: float = 0.15
    dcr_sorafenib: float = 0.50
    orr_lenvatinib: float = 0.30
    dcr_lenvatinib: float = 0.75
    complete_share_of_responses: float = 0.12
    not_evaluable_share: float = 0.05
    mrecist_share: float = 0.90
    # Progression
    pd_progression_sorafenib: float = 2.8
    pd_progression_lenvatinib: float = 2.1
    sd_progression_sorafenib: float = 6.7
    sd_progression_lenvatinib: float = 4.8
    response_progression_ratio: float = 2.0
    progression_shape: float = 1.3
    aggressiveness_log_hr: float = 0.35
    # Liver function and fitness at progression
    child_pugh_decline_base: float = 0.40
    child_pugh_decline_per_month: float = 0.04
    lenvatinib_extra_decline: float = 0.38
    ecog_decline_probability: float = 0.25
    atezolizumab_bevacizumab_weight: float = 18.0
    other_ici_weight: float = 0.15
    treat_probability_fit: float = 0.90
    treat_probability_no_systemic: float = 0.60
    treat_probability_borderline: float = 0.35
    pp_start_delay_days: float = 7.0
    pp_start_mean_extra_days: float = 20.0
    pp_start_delay_factor_not_fit: float = 1.0
    """Multiplies the extra delay to therapy start for patients not fit at progression (> 1: fitter treated sooner)."""
    # Measurements at progression (their noise comes from a stream of its own)
    albi_decline_per_child_pugh_point: float = 0.17
    albi_decline_sd: float = 0.15
    afp_log_growth_mean: float = 0.6
    afp_log_growth_sd: float = 1.0
    # Death
    pre_progression_death_rate: float = 0.010
    pps_median_child_pugh_a: float = 9.5
    pps_median_child_pugh_b: float = 4.5
    pps_median_child_pugh_c: float = 1.5
    pps_shape: float = 1.0
    hr_fib4_per_unit: float = 1.06
    hr_afp_high: float = 1.4
    hr_bclc_c: float = 1.3
    hr_albi_2b: float = 1.9
    hr_albi_3: float = 2.6
    hr_ecog_per_point: float = 1.25
    hr_disease_control_pps: float = 0.75
    hr_pp_tki: float = 0.70
    hr_pp_ici: float = 0.32
    hr_pp_locoregional: float = 0.80
    hr_pp_other: float = 0.90
    # Censoring
    loss_to_follow_up_per_year: float = 0.04

    def __post_init__(self) -> None:
        if not self.enrol_start < self.lenvatinib_from <= self.enrol_end < self.cutoff:
            raise DataError(
                "synthetic cohort calendar must satisfy enrol_start < lenvatinib_from <= enrol_end < cutoff"
            )
        for name in ("sorafenib_share", "sorafenib_after_lenvatinib_share", "male_share", "mrecist_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise DataError(f"synthetic cohort parameter {name} must be between 0 and 1; got {value}")
        for drug in ("sorafenib", "lenvatinib"):
            orr, dcr = getattr(self, f"orr_{drug}"), getattr(self, f"dcr_{drug}")
            if not 0.0 <= orr <= dcr <= 1.0:
                raise DataError(f"synthetic cohort needs 0 <= orr_{drug} <= dcr_{drug} <= 1; got {orr}, {dcr}")

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}


# ----------------------------------------------------------------------------- helpers


def _day(value: date) -> int:
    return (value - _EPOCH).days


def _categorical(rng: np.random.Generator, probs: FloatArray, labels: tuple[Any, ...]) -> ObjArray:
    """One label per row of ``probs`` (rows need not sum to 1: they are normalised)."""
    cum = np.cumsum(probs, axis=1)
    cum = cum / cum[:, -1:]
    u = rng.random((int(probs.shape[0]), 1))
    index = np.minimum((u > cum).sum(axis=1), len(labels) - 1)
    result: ObjArray = np.array(labels, dtype=object)[index]
    return result


def _repeat(probs: tuple[float, ...], n: int) -> FloatArray:
    return np.tile(np.asarray(probs, dtype=np.float64), (n, 1))


def _weibull_months(rng: np.random.Generator, median: FloatArray, shape: float, log_hr: FloatArray) -> FloatArray:
    """Weibull times with the given median at log-HR 0, scaled by a proportional-hazards shift."""
    scale = median / math.log(2.0) ** (1.0 / shape)
    e = rng.exponential(1.0, median.shape[0])
    return np.asarray(scale * (e * np.exp(-log_hr)) ** (1.0 / shape), dtype=np.float64)


# ----------------------------------------------------------------------------- steps 1-2


def _enrolment(rng: np.random.Generator, n: int, cfg: SynthConfig) -> tuple[IntArray, ObjArray]:
    """Start day (days since 1970-01-01) and first-line drug; drug counts are exact quotas."""
    n_sorafenib = round(n * cfg.sorafenib_share)
    n_lenvatinib = n - n_sorafenib
    n_sorafenib_late = round(n_sorafenib * cfg.sorafenib_after_lenvatinib_share)
    n_sorafenib_early = n_sorafenib - n_sorafenib_late
    first, switch, last = _day(cfg.enrol_start), _day(cfg.lenvatinib_from), _day(cfg.enrol_end)
    early = first + np.floor((switch - first) * rng.random(n_sorafenib_early) ** (1.0 / cfg.enrolment_growth))
    late_u = rng.random(n_lenvatinib + n_sorafenib_late) ** (1.0 / cfg.late_enrolment_growth)
    late = switch + np.floor((last - switch + 1) * late_u)
    days = np.concatenate([early, late]).astype(np.int64)
    drug = np.array(
        ["sorafenib"] * n_sorafenib_early + ["lenvatinib"] * n_lenvatinib + ["sorafenib"] * n_sorafenib_late,
        dtype=object,
    )
    order = np.argsort(days, kind="stable")
    return days[order], drug[order]


# ----------------------------------------------------------------------------- step 3


def _baseline(rng: np.random.Generator, start: IntArray, cfg: SynthConfig) -> dict[str, Any]:
    n = start.shape[0]
    first, last = _day(cfg.enrol_start), _day(cfg.enrol_end)
    era = (start - first) / max(last - first, 1)  # 0 at the first enrolment day, 1 at the last
    age = np.clip(np.round(rng.normal(cfg.age_mean, cfg.age_sd, n)), 18, 100)
    sex = np.where(rng.random(n) < cfg.male_share, "M", "F").astype(object)
    viral_shift = 0.12 * (era - 0.5)[:, None] * np.array([[0.4, 1.0, -0.5, -0.6, 0.0]])
    etiology = _categorical(
        rng, _repeat((0.17, 0.40, 0.18, 0.13, 0.12), n) + viral_shift, ("HBV", "HCV", "alcohol", "MASLD", "other")
    )
    bclc = _categorical(rng, _repeat((0.05, 0.39, 0.54, 0.02), n), ("A", "B", "C", "D"))
    cp = _categorical(rng, _repeat((0.44, 0.32, 0.14, 0.07, 0.03), n), tuple(int(s) for s in _CP_SCORES))
    cp_score = cp.astype(np.int64)
    albi_mean = np.array([_ALBI_MEAN_BY_CP[int(s)] for s in cp_score], dtype=np.float64)
    albi = np.round(np.clip(albi_mean + rng.normal(0.0, 0.22, n), -3.9, 0.5), 2)
    fib4 = np.round(
        np.clip(np.exp(math.log(cfg.fib4_median) + 0.8 * (albi + 2.45) + rng.normal(0.0, 0.55, n)), 0.3, 60.0), 2
    )
    ecog = _categorical(rng, _repeat((0.66, 0.28, 0.06), n), (0, 1, 2)).astype(np.int64)
    stage_c = bclc == "C"
    mvi = stage_c & (rng.random(n) < 0.40)
    ehs = stage_c & (rng.random(n) < 0.50)
    ehs = ehs | (stage_c & ~mvi & (ecog == 0))  # BCLC C needs vascular invasion, spread or PS 1-2
    log_afp = math.log(cfg.afp_median) + 0.6 * stage_c + 0.8 * mvi + rng.normal(0.0, cfg.afp_log_sd, n)
    afp = np.round(np.clip(np.exp(log_afp), 0.8, 2_000_000.0), 1)
    weights = np.array([0.19, 0.15, 0.14, 0.12, 0.10, 0.09, 0.08, 0.07, 0.06])
    center = _categorical(rng, np.tile(weights, (n, 1)), tuple(f"KLC-{i:02d}" for i in range(1, 10)))
    aggressiveness = rng.normal(0.0, 1.0, n)
    return {
        "age": age,
        "sex": sex,
        "etiology": etiology,
        "bclc": bclc,
        "child_pugh_score": cp_score,
        "albi_score": albi,
        "fib4": fib4,
        "afp": afp,
        "ecog": ecog,
        "mvi": mvi.astype(np.int64),
        "ehs": ehs.astype(np.int64),
        "center": center,
        "aggressiveness": aggressiveness,
    }


def _death_log_hr(base: dict[str, Any], cfg: SynthConfig) -> FloatArray:
    """Baseline prognostic score for death (log hazard ratio), 0 for a typical patient.

    Each term is centred at its typical value (FIB-4 at ``fib4_median``, binary
    factors at the share in the cohort), so the median times in
    :class:`SynthConfig` describe a typical patient.
    """
    albi = base["albi_score"]
    grade_2b = (albi > -2.27) & (albi <= -1.39)
    grade_3 = albi > -1.39
    return np.asarray(
        math.log(cfg.hr_fib4_per_unit) * (np.minimum(base["fib4"], 20.0) - cfg.fib4_median)
        + math.log(cfg.hr_afp_high) * ((base["afp"] >= AFP_HIGH) - _TYPICAL["afp_high"])
        + math.log(cfg.hr_bclc_c) * ((base["bclc"] == "C") - _TYPICAL["bclc_c"])
        + math.log(cfg.hr_albi_2b) * (grade_2b - _TYPICAL["albi_2b"])
        + math.log(cfg.hr_albi_3) * (grade_3 - _TYPICAL["albi_3"])
        + math.log(cfg.hr_ecog_per_point) * (base["ecog"] - _TYPICAL["ecog"]),
        dtype=np.float64,
    )


# ----------------------------------------------------------------------------- step 4


def _responses(
    rng: np.random.Generator, drug: ObjArray, base: dict[str, Any], cfg: SynthConfig
) -> tuple[ObjArray, ObjArray]:
    """Best response by quota within each drug; criteria mostly mRECIST."""
    n = drug.shape[0]
    response = np.full(n, "PD", dtype=object)
    score = (
        -0.8 * base["aggressiveness"]
        - 0.3 * (base["bclc"] == "C")
        - 0.3 * (base["afp"] >= AFP_HIGH)
        - 0.2 * base["ecog"]
        + rng.normal(0.0, 0.8, n)
    )
    for name in ("sorafenib", "lenvatinib"):
        members = np.flatnonzero(drug == name)
        size = members.shape[0]
        n_objective = round(size * getattr(cfg, f"orr_{name}"))
        n_control = round(size * getattr(cfg, f"dcr_{name}"))
        n_not_evaluable = round((size - n_control) * cfg.not_evaluable_share)
        ranked = members[np.argsort(-score[members], kind="stable")]
        complete = rng.random(n_objective) < cfg.complete_share_of_responses
        response[ranked[:n_objective]] = np.where(complete, "CR", "PR")
        response[ranked[n_objective:n_control]] = "SD"
        if n_not_evaluable:
            response[ranked[size - n_not_evaluable :]] = "NE"
    criteria = np.where(rng.random(n) < cfg.mrecist_share, "mRECIST", "RECIST1.1").astype(object)
    return response, criteria


# ----------------------------------------------------------------------------- step 5


def _progression_months(
    rng: np.random.Generator, drug: ObjArray, response: ObjArray, base: dict[str, Any], cfg: SynthConfig
) -> FloatArray:
    """Latent months from first-line start to progression."""
    n = drug.shape[0]
    lenvatinib = drug == "lenvatinib"
    log_hr = (
        cfg.aggressiveness_log_hr * base["aggressiveness"]
        + 0.2 * (base["afp"] >= AFP_HIGH)
        + 0.15 * (base["bclc"] == "C")
    )
    sd_median = np.where(lenvatinib, cfg.sd_progression_lenvatinib, cfg.sd_progression_sorafenib)
    responder = np.isin(response, ["CR", "PR"])
    floor = np.where(responder, 2.0, 1.6)
    median = np.where(responder, sd_median * cfg.response_progression_ratio, sd_median) - floor
    controlled = floor + _weibull_months(rng, median, cfg.progression_shape, log_hr)
    pd_median = np.where(lenvatinib, cfg.pd_progression_lenvatinib, cfg.pd_progression_sorafenib)
    early = rng.gamma(8.0, pd_median / 8.0, n)
    not_evaluable = 0.7 + rng.gamma(2.0, 0.35, n)
    months = np.where(np.isin(response, ["CR", "PR", "SD"]), controlled, early)
    return np.asarray(np.where(response == "NE", not_evaluable, months), dtype=np.float64)


# ----------------------------------------------------------------------------- step 6


def _systemic_options(first_line: str, when: int, afp_high: bool, cfg: SynthConfig) -> list[tuple[str, float]]:
    """Systemic post-progression therapies available on day ``when`` after ``first_line``, with weights."""
    options: list[tuple[str, float]] = []
    ici_era = when >= _day(cfg.atezolizumab_bevacizumab_from)
    if ici_era:
        options.append(("atezolizumab_bevacizumab", cfg.atezolizumab_bevacizumab_weight))
    if first_line == "sorafenib" and when >= _day(cfg.regorafenib_from):
        options.append(("regorafenib", 5.0))
    if afp_high and when >= _day(cfg.ramucirumab_from):
        options.append(("ramucirumab", 3.0))
    if when >= _day(cfg.cabozantinib_from):
        options.append(("cabozantinib", 1.0))
    if first_line == "sorafenib" and when >= _day(cfg.lenvatinib_from):
        options.append(("lenvatinib", 2.0))
    if first_line == "lenvatinib":
        options.append(("sorafenib", 2.0 if ici_era else 3.0))
    if when >= _day(cfg.other_ici_from):
        options.append(("other_ici", cfg.other_ici_weight))
    return options


_LOCOREGIONAL_FIT: tuple[tuple[str, float], ...] = (("tace", 1.0), ("haic", 1.0), ("radiotherapy", 0.3), ("other", 0.5))
_LOCOREGIONAL_BORDERLINE: tuple[tuple[str, float], ...] = (
    ("tace", 1.0),
    ("haic", 1.5),
    ("radiotherapy", 0.3),
    ("other", 0.6),
)


def _pick(options: list[tuple[str, float]] | tuple[tuple[str, float], ...], u: float) -> str:
    total = sum(w for _, w in options)
    acc = 0.0
    for name, weight in options:
        acc += weight / total
        if u < acc:
            return name
    return options[-1][0]


def _choose_therapy(
    first_line: str, when: int, afp_high: bool, fitness: int, u_treat: float, u_pick: float, cfg: SynthConfig
) -> str:
    """Therapy chosen at progression. ``fitness`` 2 fit (Child-Pugh A, ECOG 0-1), 1 borderline, 0 unfit."""
    if fitness == 2:
        systemic = _systemic_options(first_line, when, afp_high, cfg)
        probability = cfg.treat_probability_fit if systemic else cfg.treat_probability_no_systemic
        if u_treat >= probability:
            return "none"
        return _pick(systemic + list(_LOCOREGIONAL_FIT), u_pick)
    if fitness == 1 and u_treat < cfg.treat_probability_borderline:
        return _pick(_LOCOREGIONAL_BORDERLINE, u_pick)
    return "none"


def _therapy_hr(therapy: str, cfg: SynthConfig) -> float:
    klass = PP_CLASS_OF[therapy]
    return {
        "none": 1.0,
        "tki": cfg.hr_pp_tki,
        "ici": cfg.hr_pp_ici,
        "locoregional": cfg.hr_pp_locoregional,
        "other": cfg.hr_pp_other,
    }[klass]


@dataclass(frozen=True)
class _Progression:
    child_pugh: IntArray
    ecog: IntArray
    fitness: IntArray
    delay_days: IntArray
    u_treat: FloatArray
    u_pick: FloatArray
    pps_exposure: FloatArray


def _at_progression(
    rng: np.random.Generator,
    drug: ObjArray,
    response: ObjArray,
    base: dict[str, Any],
    progression_months: FloatArray,
    cfg: SynthConfig,
) -> _Progression:
    """Liver function, ECOG and fitness at (latent) progression, plus the draws the therapy choice uses."""
    n = int(drug.shape[0])
    rate = (
        cfg.child_pugh_decline_base
        + cfg.child_pugh_decline_per_month * np.minimum(progression_months, 24.0)
        + cfg.lenvatinib_extra_decline * (drug == "lenvatinib")
        + 0.3 * (base["albi_score"] > -2.27)
    )
    child_pugh = np.minimum(base["child_pugh_score"] + rng.poisson(rate), 15).astype(np.int64)
    p = cfg.ecog_decline_probability
    ecog = np.minimum(base["ecog"] + (rng.random(n) < p) + (rng.random(n) < p / 3.0), 4)
    fit = (child_pugh <= 6) & (ecog <= 1)
    borderline = ~fit & (child_pugh <= 8) & (ecog <= 2)
    fitness = np.where(fit, 2, np.where(borderline, 1, 0)).astype(np.int64)
    extra = rng.gamma(2.0, cfg.pp_start_mean_extra_days / 2.0, n)
    if cfg.pp_start_delay_factor_not_fit != 1.0:
        extra = np.where(fitness == 2, extra, extra * cfg.pp_start_delay_factor_not_fit)
    delay = np.ceil(cfg.pp_start_delay_days + extra).astype(np.int64)
    median = np.select(
        [child_pugh <= 6, child_pugh <= 9],
        [cfg.pps_median_child_pugh_a, cfg.pps_median_child_pugh_b],
        cfg.pps_median_child_pugh_c,
    )
    log_hr = (
        _death_log_hr(base, cfg)
        + math.log(cfg.hr_disease_control_pps) * np.isin(response, ["CR", "PR", "SD"])
        + math.log(cfg.hr_ecog_per_point) * (ecog - base["ecog"])
    )
    # Cumulative untreated hazard needed to die, on the scale of a reference patient (Weibull at the median).
    scale = median / math.log(2.0) ** (1.0 / cfg.pps_shape)
    exposure = rng.exponential(1.0, n) * np.exp(-log_hr)
    return _Progression(
        child_pugh=child_pugh,
        ecog=np.asarray(ecog, dtype=np.int64),
        fitness=fitness,
        delay_days=delay,
        u_treat=rng.random(n),
        u_pick=rng.random(n),
        pps_exposure=np.asarray(exposure * scale**cfg.pps_shape, dtype=np.float64),
    )


def _pps_days(exposure: float, delay_days: int, hr: float, shape: float) -> float:
    """Days from progression to death: Weibull cumulative hazard, multiplied by ``hr`` from ``delay_days`` on."""
    t0 = delay_days / DAYS_PER_MONTH
    h0 = t0**shape
    if exposure <= h0 or hr == 1.0:
        return float(exposure ** (1.0 / shape) * DAYS_PER_MONTH)
    return float((h0 + (exposure - h0) / hr) ** (1.0 / shape) * DAYS_PER_MONTH)


# ----------------------------------------------------------------------------- steps 7-8 and assembly


@dataclass(frozen=True)
class _Course:
    progression_day: list[int | None]
    therapy: list[str]
    pp_start_day: list[int | None]
    last_contact_day: list[int]
    death_day: list[int | None]


def _course(
    drug: ObjArray,
    start: IntArray,
    base: dict[str, Any],
    progression_months: FloatArray,
    pre_death_months: FloatArray,
    censor_days: IntArray,
    prog: _Progression,
    cfg: SynthConfig,
) -> _Course:
    """Walk each patient through progression, post-progression therapy, death and censoring (whole days)."""
    progression: list[int | None] = []
    therapies: list[str] = []
    pp_start: list[int | None] = []
    last_contact: list[int] = []
    death: list[int | None] = []
    to_progression = np.maximum(np.ceil(progression_months * DAYS_PER_MONTH), 14).astype(np.int64)
    to_pre_death = np.maximum(np.ceil(pre_death_months * DAYS_PER_MONTH), 1).astype(np.int64)
    afp_high = base["afp"] >= AFP_HIGH
    for i in range(start.shape[0]):
        s, censor = int(start[i]), int(censor_days[i])
        t_prog, t_dead = int(to_progression[i]), int(to_pre_death[i])
        if t_dead < t_prog or t_prog > censor:
            died = t_dead < t_prog and t_dead <= censor
            progression.append(None)
            therapies.append("none")
            pp_start.append(None)
            last_contact.append(s + (t_dead if died else censor))
            death.append(s + t_dead if died else None)
            continue
        delay = int(prog.delay_days[i])
        therapy = _choose_therapy(
            str(drug[i]), s + t_prog + delay, bool(afp_high[i]), int(prog.fitness[i]),
            float(prog.u_treat[i]), float(prog.u_pick[i]), cfg,
        )  # fmt: skip
        pps = int(
            max(1, math.ceil(_pps_days(float(prog.pps_exposure[i]), delay, _therapy_hr(therapy, cfg), cfg.pps_shape)))
        )
        died = t_prog + pps <= censor
        end = t_prog + pps if died else censor
        if therapy != "none" and t_prog + delay > end:
            therapy = "none"  # died or lost before the therapy could start
        progression.append(s + t_prog)
        therapies.append(therapy)
        pp_start.append(s + t_prog + delay if therapy != "none" else None)
        last_contact.append(s + end)
        death.append(s + end if died else None)
    return _Course(progression, therapies, pp_start, last_contact, death)


def _measured_at_progression(
    rng: np.random.Generator, base: dict[str, Any], prog: _Progression, progressed: BoolArray, cfg: SynthConfig
) -> dict[str, FloatArray]:
    """The latent state at progression as the optional ``*_pd`` columns (NaN where no progression was seen).

    Child-Pugh score and ECOG are the values that decided fitness, hence
    therapy and survival after progression; ALBI worsens with the Child-Pugh
    score and AFP grows with the tumour. ``rng`` is a stream of its own, so
    these columns leave every other column unchanged.
    """
    n = int(progressed.shape[0])
    albi_noise = rng.normal(0.0, cfg.albi_decline_sd, n)
    afp_growth = rng.normal(cfg.afp_log_growth_mean, cfg.afp_log_growth_sd, n)
    decline = prog.child_pugh - base["child_pugh_score"]
    albi = np.round(
        np.clip(base["albi_score"] + cfg.albi_decline_per_child_pugh_point * decline + albi_noise, -3.9, 0.9), 2
    )
    afp = np.round(np.clip(base["afp"] * np.exp(afp_growth), 0.8, 5_000_000.0), 1)
    missing = ~progressed
    return {
        "child_pugh_score_pd": np.where(missing, np.nan, prog.child_pugh.astype(np.float64)),
        "albi_score_pd": np.where(missing, np.nan, albi),
        "ecog_pd": np.where(missing, np.nan, prog.ecog.astype(np.float64)),
        "afp_pd": np.where(missing, np.nan, afp),
    }


def _to_dates(days: Sequence[int | None] | IntArray) -> pd.Series:
    values = [np.datetime64("NaT") if d is None else np.datetime64(int(d), "D") for d in days]
    return pd.Series(np.array(values, dtype="datetime64[D]").astype("datetime64[ns]"))


def generate_cohort(n: int = 513, seed: int = 2022, *, config: SynthConfig | None = None) -> pd.DataFrame:
    """A SYNTHETIC KLC-like cohort of ``n`` patients, deterministic for ``seed``.

    Returns the canonical input columns (dates as ``datetime64``, empty as NaT;
    booleans as 0/1 integers) followed by the derived columns computed by
    :func:`analysis.cohort.derive_endpoints` (months rounded to 4 decimals).
    With the defaults the drug split is 309 sorafenib / 204 lenvatinib for
    ``n = 513`` and the same proportions for other ``n``.

    Raises DataError when ``n`` is not between 1 and 1,000,000.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_PATIENTS:
        raise DataError(f"the number of synthetic patients must be a whole number from 1 to {MAX_PATIENTS}; got {n}")
    cfg = config or SynthConfig()
    # One independent stream per step, so that a parameter of one step does not reshuffle the others.
    streams = np.random.default_rng(seed).spawn(8)
    start, drug = _enrolment(streams[0], int(n), cfg)
    base = _baseline(streams[1], start, cfg)
    response, criteria = _responses(streams[2], drug, base, cfg)
    progression_months = _progression_months(streams[3], drug, response, base, cfg)
    pre_rate = cfg.pre_progression_death_rate * np.exp(_death_log_hr(base, cfg)) * np.where(response == "NE", 6.0, 1.0)
    pre_death_months = streams[4].exponential(1.0, start.shape[0]) / pre_rate
    prog = _at_progression(streams[5], drug, response, base, progression_months, cfg)
    loss_rate_per_day = cfg.loss_to_follow_up_per_year / 365.25
    lost = np.ceil(streams[6].exponential(1.0, start.shape[0]) / max(loss_rate_per_day, 1e-12))
    censor_days = np.minimum(_day(cfg.cutoff) - start, np.minimum(lost, 1e7)).astype(np.int64)
    course = _course(drug, start, base, progression_months, pre_death_months, censor_days, prog, cfg)
    progressed = np.array([day is not None for day in course.progression_day], dtype=bool)
    at_progression = _measured_at_progression(streams[7], base, prog, progressed, cfg)

    frame = pd.DataFrame(
        {
            "patient_id": [f"SYN-{i:04d}" for i in range(1, start.shape[0] + 1)],
            "center": base["center"],
            "first_line": drug,
            "first_line_start": _to_dates(start),
            "age": base["age"].astype(np.float64),
            "sex": base["sex"],
            "etiology": base["etiology"],
            "bclc": base["bclc"],
            "child_pugh_score": base["child_pugh_score"],
            "albi_score": base["albi_score"],
            "fib4": base["fib4"],
            "afp": base["afp"],
            "ecog": base["ecog"],
            "mvi": base["mvi"],
            "ehs": base["ehs"],
            "best_response": response,
            "response_criteria": criteria,
            "progression_date": _to_dates(course.progression_day),
            "pp_therapy": np.array(course.therapy, dtype=object),
            "pp_start": _to_dates(course.pp_start_day),
            "last_contact_date": _to_dates(course.last_contact_day),
            "death_date": _to_dates(course.death_day),
            **at_progression,
        }
    )
    derived = derive_endpoints(frame[list(INPUT_COLUMNS)])  # the one place endpoints are computed
    for column in _MONTH_COLUMNS:
        derived[column] = derived[column].round(4)
    derived["pps_event"] = derived["pps_event"].astype("Int64")
    return derived[list(INPUT_COLUMNS) + list(DERIVED_COLUMNS)].reset_index(drop=True)


# ----------------------------------------------------------------------------- writing


def _format_float(value: float) -> str:
    """At most 4 decimals, no trailing zeros (73.0 -> "73", 2.50 -> "2.5"); empty when missing."""
    if value != value:
        return ""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _format_column(values: pd.Series) -> list[str]:
    if pd.api.types.is_datetime64_any_dtype(values):
        return [value.strftime("%Y-%m-%d") if pd.notna(value) else "" for value in values]
    if pd.api.types.is_float_dtype(values):
        return [_format_float(float(value)) for value in values]
    return ["" if pd.isna(value) else str(value) for value in values]


def cohort_csv(frame: pd.DataFrame) -> str:
    """The cohort as CSV text: ISO dates, 0/1 booleans, empty for missing, ``\\n`` line ends, no comments."""
    text = pd.DataFrame({column: _format_column(frame[column]) for column in frame.columns})
    return str(text.to_csv(index=False, lineterminator="\n"))


def write_cohort(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write :func:`cohort_csv` of ``frame`` to ``path`` (UTF-8); returns the path."""
    target = Path(path)
    target.write_text(cohort_csv(frame), encoding="utf-8")
    return target
