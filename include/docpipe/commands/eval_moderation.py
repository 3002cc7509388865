"""`docpipe eval moderation --dataset FILE.csv [--json]`: precision, recall and F1 of the moderation
engine's flag (decision review or block) against labelled texts, and texts per second.

FILE has columns `text` and `hate_score` (0..1; >= 0.5 is hateful). The logic lives in
`docpipe.moderation.evaluate`.
"""

from __future__ import annotations

import argparse

GROUP = "eval"
NAME = "moderation"
HELP = "precision / recall / F1 of the moderation flag on a labelled CSV (text, hate_score), and texts/s"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from docpipe.moderation.evaluate import add_arguments as _add

    _add(parser)


def run(args: argparse.Namespace) -> int:
    from docpipe.moderation.evaluate import run as _run

    return _run(args)
