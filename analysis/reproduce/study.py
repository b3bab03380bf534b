"""The Study page's bundle: one folder per analysis behind its cards, each a complete bundle of its own (data,
README, expected numbers, R and Python scripts from the view's generator), and top-level R and Python scripts
that run every folder's script in turn and print all the numbers as one JSON object keyed by folder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analysis.reproduce.bundle import Reproduction, Source, assemble_parts


def study_bundle(parts: Sequence[tuple[str, str, Reproduction]], source: Source) -> Reproduction:
    """``parts``: (folder, what the study card shows from it, the folder's bundle), in the page's order."""
    folders = [folder for folder, _, _ in parts]
    notes = [
        "The study's analyses, one folder each (its own data.csv, README.txt, expected.json and scripts): "
        + "; ".join(f"{folder}/ {what}" for folder, what, _ in parts)
        + ". The scripts in this folder run every folder's script and print the results keyed by folder.",
        "Cards 4 and 5 compare patients by a therapy given after progression (immortal-time bias); their "
        "corrected counterparts (time-varying Cox, landmark, Simon-Makuch) are in the folders beside them.",
    ]
    expected: dict[str, Any] = {folder: bundle.expected for folder, _, bundle in parts}
    settings = {"folders": folders}
    return assemble_parts(
        "study", "Reproduce the study (the Study page's cards)", settings, expected,
        ("study.R.tmpl", "study.py.tmpl"), source, notes, [(folder, bundle) for folder, _, bundle in parts],
    )  # fmt: skip
