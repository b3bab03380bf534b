"""`ppx synth` (not implemented yet)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("synth", help="(not implemented yet)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print("ppx synth: not implemented yet", file=sys.stderr)
    return 2
