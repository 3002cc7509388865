"""Sub-commands of `docpipe` beyond the core ones in `docpipe.cli`, one module each.

A module here defines:

    GROUP = "eval"            # optional: groups commands as `docpipe <GROUP> <NAME>`
    NAME = "extraction"
    HELP = "one line for --help"
    def add_arguments(parser: argparse.ArgumentParser) -> None: ...
    def run(args: argparse.Namespace) -> int: ...

`docpipe.cli` finds every such module and wires it in; modules import their heavy dependencies
inside `run`, so `docpipe --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from typing import Any


def register_all(subparsers: Any) -> None:
    groups: dict[str, Any] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if not hasattr(module, "run"):
            continue
        target = subparsers
        group = getattr(module, "GROUP", None)
        if group:
            if group not in groups:
                gp = subparsers.add_parser(group, help=f"{group} commands")
                groups[group] = gp.add_subparsers(dest=f"{group}_command", required=True)
            target = groups[group]
        parser: argparse.ArgumentParser = target.add_parser(module.NAME, help=getattr(module, "HELP", None))
        module.add_arguments(parser)
        parser.set_defaults(fn=module.run)
