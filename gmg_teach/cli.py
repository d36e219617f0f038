"""The ``gmg-teach`` command (also ``python -m gmg_teach``).

Each subcommand is a small ``add_<name>(subparsers)`` function that registers itself with :func:`add_command` (a
description, an example, its defaults shown, ``--quiet``) and its handler. Heavy imports happen inside handlers; a
handler that needs an optional extra calls ``gmg_teach.extras.require`` first, so a missing one is one line.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from . import __version__


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions and examples as written; each option's default shown unless its help already says it."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("default" in text or any(action.default is nothing for nothing in (None, False, argparse.SUPPRESS))
                or not action.option_strings):
            return text
        return super()._get_help_string(action)


def add_command(sub, name: str, *, help: str, description: str, example: str, **kwargs) -> argparse.ArgumentParser:
    """Register a subcommand: ``help`` is its line in ``gmg-teach --help``; ``example`` ends its own ``--help``."""
    p = sub.add_parser(name, help=help, description=description, formatter_class=HelpFormatter,
                       epilog="example:\n  " + example.strip().replace("\n", "\n  "), **kwargs)
    p.add_argument("-q", "--quiet", action="store_true", help="print no progress, only results and errors")
    return p


def progress_bar(args, total: float | None, desc: str, unit: str = "it"):
    """A progress bar with an ETA on standard error (tqdm); silent with ``--quiet``. Use as a context manager."""
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: `grade --jobs N` forks worker processes after the bar exists
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=getattr(args, "quiet", False),
                dynamic_ncols=True, mininterval=0.5)


def add_start(sub) -> None:
    p = add_command(
        sub, "start",
        help="open the course in JupyterLab, at the first lesson",
        description="Open the course in JupyterLab. The server's root is this folder, so the lessons (notebooks/) "
        "and your exercises (exercises/) are one click apart in the file browser. In a folder without the course, "
        "a fresh copy is put there first; a file you already have is never overwritten (start says which it kept). "
        "Options not listed here are passed on to `jupyter lab` (see `jupyter lab --help`). Stopping start "
        "(Ctrl-C) stops Jupyter. Needs the [course] extra.",
        example="mkdir my-course && cd my-course && gmg-teach start\ngmg-teach start --no-browser --port 8899",
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
    from .course import copy_course, course_files
    from .extras import require

    require("gmg-teach start", "jupyterlab", "ipykernel", "ipywidgets", extra="course")
    if args.port is not None and not 1 <= args.port <= 65535:
        raise ValueError(f"--port must be a number from 1 to 65535; got {args.port}.")
    root = Path.cwd()
    for line in copy_course(root).lines():  # only what is missing; a file already here is kept
        print(line, flush=True)
    lesson = Path(args.notebook)
    if not (root / lesson).exists():
        raise ValueError(f"Cannot find {lesson} in {root}. Give a lesson of the course folder, e.g. --notebook "
                         "notebooks/01_the_maze.ipynb.")
    names = [p.name for p in course_files(root) if p.parts[0] == "notebooks" and p.suffix == ".ipynb"]
    if not args.quiet:
        print(f"Opening {lesson} in JupyterLab, served from {root}.\n"
              f"  Lessons:   notebooks/{', '.join(names)}\n"
              "  Exercises: exercises/ (one per lesson, graded)\n"
              "  Jupyter prints the address to open (with its token) below; it lands on the first lesson.\n"
              "  Ctrl-C stops it.", flush=True)
    command = jupyter_lab_command(root, lesson, args.port, args.no_browser, list(args.jupyter_args))
    return exec_command(command)


def exec_command(command: list[str]) -> int:
    """Become ``command`` (POSIX ``exec``), so that a signal to start (Ctrl-C, a kill) reaches Jupyter itself.

    Windows has no real exec: there, run it as a child and wait (Ctrl-C reaches the whole console group).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(command[0], command)
    return subprocess.call(command)


def add_show(sub) -> None:
    p = add_command(sub, "show", help="print a level as text, with a legend",
                    description="Print one level of a distribution as ASCII art, with a legend (walls #, the agent "
                    "A, objects by colour letter: upper case the exit sign, lower case an apple).",
                    example="gmg-teach show --distribution deploy --seed 3")
    p.add_argument("--distribution", default="train", choices=["train", "deploy", "diverse", "mixture"],
                   help="which levels")
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
    p = add_command(sub, "demo", help="run the headline experiment (all agents, all seeds, the sweeps, the 2x2 table)",
                    description="Train every agent over several training seeds and evaluate each on held-out "
                    "episodes, then the learning curve, the alpha and salience sweeps and the 2x2 table. A "
                    "progress bar with an ETA goes to standard error; the result (a table, or JSON) to standard "
                    "output.",
                    example="gmg-teach demo --small\ngmg-teach demo --seed 3 --json > demo.json")
    p.add_argument("--seed", type=int, default=0, help="master seed: moves the building and every training and "
                   "evaluation seed")
    p.add_argument("--json", action="store_true", help="write one JSON object to standard output instead of a table "
                   "(progress still goes to standard error)")
    p.add_argument("--seeds", type=int, default=None, help="training seeds per agent (default 5)")
    p.add_argument("--eval-episodes", type=int, default=None, help="held-out episodes per distribution (default 500)")
    p.add_argument("--small", action="store_true", help="a quick preview budget (2 seeds, 150 episodes)")
    p.set_defaults(handler=run_demo)


def run_demo(args) -> int:
    import json
    from dataclasses import replace

    from .experiments import ExperimentConfig, format_report, n_stages, run_experiment

    config = ExperimentConfig.small(args.seed) if args.small else ExperimentConfig(seed=args.seed)
    changes = {k: v for k, v in (("n_seeds", args.seeds), ("eval_episodes", args.eval_episodes)) if v is not None}
    config = replace(config, **changes)  # ExperimentConfig checks every value and says what is wrong
    with progress_bar(args, n_stages(config), "demo", unit="stage") as bar:
        begun = []

        def progress(message):  # a stage begins, so the one before it has finished
            bar.update(1 if begun else 0)
            begun.append(message)
            bar.set_postfix_str(message)

        report = run_experiment(config, progress=progress)
        bar.update(1)
    print(json.dumps(report, default=float) if args.json else format_report(report))
    return 0


def add_gallery(sub) -> None:
    p = add_command(sub, "gallery", help="train and measure lesson 4's gallery (cheese in the corner, follow the "
                    "leader, monster gridworld)",
                    description="Train every example of lesson 4's gallery over several training seeds (the agent "
                    "that misgeneralizes and its control) and measure each on its training distribution and on the "
                    "shift: the intended goal's and the proxy's rates, with 95% confidence intervals over seeds, and "
                    "each agent's cell of the 2x2 table. Stage lines go to standard error; the result (a table, or "
                    "JSON) to standard output.",
                    example="gmg-teach gallery --small\ngmg-teach gallery --seed 3 --json > gallery.json")
    p.add_argument("--seed", type=int, default=0, help="master seed: moves the mazes and every training and "
                   "evaluation seed")
    p.add_argument("--json", action="store_true", help="write one JSON object to standard output instead of a table")
    p.add_argument("--small", action="store_true", help="the small budget of the tests (3 seeds, fewer episodes)")
    p.set_defaults(handler=run_gallery_command)


def run_gallery_command(args) -> int:
    import json

    from .gallery.run import format_report, run_gallery

    quiet = args.json or args.quiet
    progress = None if quiet else (lambda message: print(f"... {message}", file=sys.stderr, flush=True))
    report = run_gallery(args.seed, fast=True if args.small else None, progress=progress)
    report.pop("_objects")
    print(json.dumps(report, default=float) if args.json else format_report(report))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gmg-teach",
        description="gmg-teach: a hands-on course on goal misgeneralization in reinforcement learning. "
        "`gmg-teach COMMAND --help` describes a command, with an example.",
        formatter_class=HelpFormatter,
        epilog="examples:\n  gmg-teach start            # the course in JupyterLab (pip install \"gmg-teach[course]\")\n"
        "  gmg-teach demo --small     # the headline experiment, quickly",
    )
    parser.add_argument("--version", action="version", version=f"gmg-teach {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")
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
    except ValueError as err:  # bad input, or a missing extra: say what was wrong in one line, no traceback
        print(f"gmg-teach: error: {err}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as err:  # an optional dependency a handler did not `require` first
        from .extras import EXTRA_OF, missing_message

        module = (err.name or "").split(".")[0]
        if module not in EXTRA_OF:
            raise
        print(f"gmg-teach: error: {missing_message(f'gmg-teach {args.command}', module)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gmg-teach: stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
