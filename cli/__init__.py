"""The ``ppx`` command line: one subcommand per module in this package.

Each subcommand module exposes ``register(subparsers)``, which adds its parser
and sets ``func`` to a callable taking the parsed namespace and returning the
exit code. Errors from :mod:`analysis.errors` become a one-line message on
stderr and exit code 2; no traceback ever reaches the user.

Start-up is lazy: ``ppx COMMAND ...`` imports only that command's module (and so
pandas and scipy only when the command needs them). The other commands appear in
``ppx --help`` through their ``add_parser(NAME, help=...)`` call, read from the
module's source with :mod:`ast` instead of importing it.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from analysis import __version__
from analysis.errors import PPXError

SUBCOMMAND_MODULES: tuple[str, ...] = (
    "cli.synth",
    "cli.validate",
    "cli.km",
    "cli.cox",
    "cli.landmark",
    "cli.emulate",
    "cli.dictionary",
    "cli.export",
    "cli.adjust",
    "cli.parametric",
    "cli.reproduce",
)


def _new_parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction[argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(
        prog="ppx",
        description="Post-Progression Explorer: survival after first-line sorafenib or lenvatinib in aHCC.",
    )
    parser.add_argument("--version", action="version", version=f"ppx {__version__}")
    return parser, parser.add_subparsers(dest="command", metavar="COMMAND")


def build_parser() -> argparse.ArgumentParser:
    """The full parser: every subcommand module imported and registered."""
    parser, subparsers = _new_parser()
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def command_summary(module: str) -> tuple[str, str | None] | None:
    """(name, help) of the subcommand a module registers, read from its source; None if not a literal call."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "add_parser"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            helps = [k.value for k in node.keywords if k.arg == "help"]
            if not helps:
                return node.args[0].value, None
            if isinstance(helps[0], ast.Constant) and isinstance(helps[0].value, str):
                return node.args[0].value, helps[0].value
            return None
    return None


def lazy_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser for this command line: the named subcommand registered for real, the others as help stubs."""
    wanted = next((arg for arg in argv if not arg.startswith("-")), None)
    parser, subparsers = _new_parser()
    for module in SUBCOMMAND_MODULES:
        summary = command_summary(module)
        if summary is None or summary[0] == wanted:
            importlib.import_module(module).register(subparsers)
        elif summary[1] is None:
            subparsers.add_parser(summary[0])
        else:
            subparsers.add_parser(summary[0], help=summary[1])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = lazy_parser(arguments)
    args = parser.parse_args(arguments)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    source = getattr(args, "data", None) or getattr(args, "file", None)
    where = f"{source}: " if isinstance(source, str) else ""
    try:
        with warnings.catch_warnings():
            # numpy/scipy floating-point RuntimeWarnings ("overflow encountered in multiply") are not messages for
            # a user: the analysis reports its own warnings in the result and raises its own errors
            warnings.simplefilter("ignore", RuntimeWarning)
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
