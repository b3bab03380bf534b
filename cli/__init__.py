"""The ``ppx`` command line: one subcommand per module in this package.

Each subcommand module exposes ``register(subparsers)``, which adds its parser
and sets ``func`` to a callable taking the parsed namespace and returning the
exit code. Errors from :mod:`analysis.errors` become a one-line message on
stderr and exit code 2; no traceback ever reaches the user.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from analysis import __version__
from analysis.errors import PPXError

SUBCOMMAND_MODULES: tuple[str, ...] = (
    "cli.synth",
    "cli.validate",
    "cli.km",
    "cli.cox",
    "cli.landmark",
    "cli.dictionary",
    "cli.export",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ppx",
        description="Post-Progression Explorer: survival after first-line sorafenib or lenvatinib in aHCC.",
    )
    parser.add_argument("--version", action="version", version=f"ppx {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    source = getattr(args, "data", None) or getattr(args, "file", None)
    where = f"{source}: " if isinstance(source, str) else ""
    try:
        code: int = args.func(args)
    except PPXError as exc:
        message = str(exc)
        prefix = "" if isinstance(source, str) and source in message else where
        print(f"ppx {args.command}: error: {prefix}{message}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as exc:
        print(f"ppx {args.command}: error: {where}{exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
