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
    p = sub.add_parser(
        "start",
        help="open the course in JupyterLab, at the first lesson",
        description="Open the course in JupyterLab. The server's root is the course folder, so the lessons "
        "(notebooks/) and your exercises (exercises/) are one click apart in the file browser. Options not listed "
        "here are passed on to `jupyter lab` (see `jupyter lab --help`).",
    )
    p.add_argument("--notebook", default="notebooks/01_the_maze.ipynb",
                   help="lesson to open, relative to the course folder (default: the first)")
    p.add_argument("--port", type=int, default=None, help="port for the Jupyter server (default: Jupyter's, 8888)")
    p.add_argument("--no-browser", action="store_true",
                   help="do not open a browser; copy the printed address into one (headless machines, containers)")
    p.set_defaults(handler=run_start, passes_unknown_args=True)


def jupyter_lab_command(root: Path, lesson: Path, port: int | None, no_browser: bool, extra: list[str]) -> list[str]:
    """The `jupyter lab` command line for `gmg-teach start`: served from the course folder, opening the lesson."""
    command = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root}",
               f"--LabApp.default_url=/lab/tree/{lesson.as_posix()}"]
    if port is not None:
        command.append(f"--port={port}")
    if no_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        command.append("--allow-root")  # containers and cloud notebooks often run as root; Jupyter refuses otherwise
    return command + list(extra)


def run_start(args) -> int:
    root = Path.cwd()
    lesson = Path(args.notebook)
    if not (root / lesson).exists():
        print(f"Cannot find {lesson} here. Run `gmg-teach start` from the course folder (the one with notebooks/ "
              "and exercises/ in it).", file=sys.stderr)
        return 2
    if args.port is not None and not 1 <= args.port <= 65535:
        print(f"--port must be a number from 1 to 65535; got {args.port}.", file=sys.stderr)
        return 2
    print(f"Opening {lesson} in JupyterLab, served from {root}.\n"
          "  Lessons:   notebooks/01_the_maze.ipynb, 02_capabilities_vs_goals.ipynb, 03_unidentifiability.ipynb\n"
          "  Exercises: exercises/ (one per lesson, graded)\n"
          "  Jupyter prints the address to open (with its token) below; it lands on the first lesson.",
          flush=True)
    return subprocess.call(jupyter_lab_command(root, lesson, args.port, args.no_browser, list(args.jupyter_args)))


def add_show(sub) -> None:
    p = sub.add_parser("show", help="print a level as text, with a legend")
    p.add_argument("--distribution", default="train", help="train, deploy, diverse or mixture")
    p.add_argument("--alpha", type=float, default=None, help="fraction of deploy levels (mixture only)")
    p.add_argument("--seed", type=int, default=0, help="level seed")
    p.add_argument("--size", type=int, default=9, help="maze size in cells per side")
    p.add_argument("--layout", type=int, default=0, help="the building's seed (which maze)")
    p.add_argument("--renovation", type=int, default=0, help="walls moved in the building")
    p.set_defaults(handler=run_show)


def run_show(args) -> int:
    from .world.distributions import get_distribution
    from .world.render import ascii_frame

    level = get_distribution(args.distribution, alpha=args.alpha, size=args.size, layout=args.layout,
                             renovation=args.renovation).level(args.seed)
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


def add_gallery(sub) -> None:
    p = sub.add_parser("gallery", help="train and measure lesson 4's gallery (cheese in the corner, follow the "
                       "leader, monster gridworld)")
    p.add_argument("--seed", type=int, default=0, help="master seed: moves the mazes and every training and "
                   "evaluation seed")
    p.add_argument("--json", action="store_true", help="write one JSON object to standard output instead of a table")
    p.add_argument("--small", action="store_true", help="the small budget of the tests (3 seeds, fewer episodes)")
    p.set_defaults(handler=run_gallery_command)


def run_gallery_command(args) -> int:
    import json

    from .gallery.run import format_report, run_gallery

    progress = None if args.json else (lambda message: print(f"... {message}", file=sys.stderr, flush=True))
    report = run_gallery(args.seed, fast=True if args.small else None, progress=progress)
    report.pop("_objects")
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

    return [add_start, add_show, add_demo, add_gallery, add_commands, add_export]


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
