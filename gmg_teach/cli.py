"""The ``gmg-teach`` command (also ``python -m gmg_teach``).

Each subcommand is a small ``add_<name>(subparsers)`` function that registers itself and its handler.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from . import __version__


def add_start(sub) -> None:
    p = sub.add_parser("start", help="open the course in JupyterLab, at the first lesson")
    p.add_argument("--notebook", default="notebooks/01_the_maze.ipynb", help="lesson to open (default: the first)")
    p.set_defaults(handler=run_start, passes_unknown_args=True)  # other options go to jupyter lab, e.g. --port 8889


def run_start(args) -> int:
    lesson = Path(args.notebook)
    if not lesson.exists():
        print(f"Cannot find {lesson}. Run this from the course folder (the one with notebooks/ in it).", file=sys.stderr)
        return 2
    extra = list(args.jupyter_args)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        extra.append("--allow-root")  # containers and cloud notebooks often run as root; Jupyter refuses otherwise
    return subprocess.call([sys.executable, "-m", "jupyter", "lab", str(lesson), *extra])


def add_show(sub) -> None:
    p = sub.add_parser("show", help="print a level as text, with a legend")
    p.add_argument("--distribution", default="train", help="train, deploy, diverse or mixture")
    p.add_argument("--alpha", type=float, default=None, help="fraction of deploy levels (mixture only)")
    p.add_argument("--seed", type=int, default=0, help="level seed")
    p.add_argument("--size", type=int, default=9, help="maze size in cells per side")
    p.set_defaults(handler=run_show)


def run_show(args) -> int:
    from .world.distributions import get_distribution
    from .world.render import ascii_frame

    level = get_distribution(args.distribution, alpha=args.alpha, size=args.size).level(args.seed)
    print(ascii_frame(level, level.start), end="")
    return 0


def add_demo(sub) -> None:
    p = sub.add_parser("demo", help="run the headline experiment (all agents, all seeds, the sweeps, the 2x2 table)")
    p.add_argument("--seed", type=int, default=0, help="master seed: moves the building and every training and "
                   "evaluation seed")
    p.add_argument("--json", action="store_true", help="write one JSON object to standard output instead of a table")
    p.add_argument("--seeds", type=int, default=None, help="training seeds per agent (default 5)")
    p.add_argument("--eval-episodes", type=int, default=None, help="held-out episodes per distribution (default 500)")
    p.add_argument("--small", action="store_true", help="a quick preview budget (2 seeds, 150 episodes)")
    p.set_defaults(handler=run_demo)


def run_demo(args) -> int:
    import json
    from dataclasses import replace

    from .experiments import ExperimentConfig, format_report, run_experiment

    config = ExperimentConfig.small(args.seed) if args.small else ExperimentConfig(seed=args.seed)
    changes = {k: v for k, v in (("n_seeds", args.seeds), ("eval_episodes", args.eval_episodes)) if v is not None}
    config = replace(config, **changes)  # ExperimentConfig checks every value and says what is wrong
    progress = None if args.json else (lambda message: print(f"... {message}", file=sys.stderr, flush=True))
    report = run_experiment(config, progress=progress)
    print(json.dumps(report, default=float) if args.json else format_report(report))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gmg-teach",
        description="gmg-teach: a hands-on course on goal misgeneralization in reinforcement learning.",
    )
    parser.add_argument("--version", action="version", version=f"gmg-teach {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def _commands():
    # Each module registers its own subcommands; heavy imports happen inside the handlers, not here.
    from .export import add_export
    from .grading.commands import add_commands

    return [add_start, add_show, add_demo, add_commands, add_export]


COMMANDS = _commands()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "passes_unknown_args", False):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.jupyter_args = unknown
    if not hasattr(args, "handler"):
        parser.print_help()
        return 0
    try:
        return int(args.handler(args) or 0)
    except ValueError as err:  # bad input: say what was wrong in one line, no traceback
        print(f"gmg-teach: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
