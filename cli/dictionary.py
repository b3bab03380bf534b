"""`ppx dictionary`: print the canonical data dictionary (Markdown)."""

from __future__ import annotations

import argparse
from typing import Any

from analysis.schema import data_dictionary_markdown


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("dictionary", help="print the canonical cohort data dictionary as Markdown")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(data_dictionary_markdown(), end="")
    return 0
