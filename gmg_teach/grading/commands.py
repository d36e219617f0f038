"""The ``gmg-teach build-exercises`` and ``gmg-teach grade`` subcommands (registered by ``gmg_teach.cli``).

Bad input raises ``ValueError`` (``BuildError`` is one); ``gmg_teach.cli`` prints it as one line, no traceback.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def add_commands(sub) -> None:
    add_build_exercises(sub)
    add_grade(sub)


def add_build_exercises(sub) -> None:
    from ..cli import add_command

    p = add_command(sub, "build-exercises", help="generate exercises/ (student notebooks) from solutions/",
                    description="Generate the student notebooks in exercises/ from the solution notebooks in "
                    "solutions/ with nbgrader's preprocessors (solutions and hidden tests removed), and the expected "
                    "values of the visible checks (which runs each solution once). Never edit exercises/ by hand. "
                    "A progress bar with an ETA goes to standard error. Needs the [instructor] extra.",
                    example="gmg-teach build-exercises\ngmg-teach build-exercises --check   # in CI: exit 1 if out "
                    "of date")
    p.add_argument("--solutions", default="solutions", help="folder of solution notebooks (default: solutions)")
    p.add_argument("--exercises", default="exercises", help="folder to write exercises to (default: exercises)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if exercises/ is out of date")
    p.add_argument("--force", action="store_true", help="overwrite exercises even if someone edited them by hand")
    p.add_argument("--recompute", action="store_true", help="recompute the visible checks' expected values even "
                   "if the solutions did not change (after a change of the engine)")
    p.set_defaults(handler=run_build_exercises)


def run_build_exercises(args) -> int:
    from ..cli import progress_bar
    from ..extras import require

    require("gmg-teach build-exercises", "nbgrader", "nbformat", "nbclient", "ipykernel", extra="instructor")
    from .build import build_exercises, check_in_sync

    total = len(list(Path(args.solutions).glob("*.ipynb"))) or None
    with progress_bar(args, total, "solutions", unit="notebook") as bar:
        def progress(name):
            bar.set_postfix_str(name)
            bar.update(1)

        if args.check:
            problems = check_in_sync(args.solutions, args.exercises, recompute=args.recompute, progress=progress)
        else:
            lines = build_exercises(args.solutions, args.exercises, force=args.force, recompute=args.recompute,
                                    progress=progress)
    if args.check:
        for problem in problems:
            print(problem)
        print("out of date: run `gmg-teach build-exercises`" if problems else "exercises are in sync with solutions")
        return 1 if problems else 0
    for line in lines:
        if not (args.quiet and line.startswith("up to date")):
            print(line)
    return 0


def add_grade(sub) -> None:
    from ..cli import add_command

    p = add_command(sub, "grade", help="grade submitted notebooks: a gradebook CSV and a feedback file per student",
                    description="Run each submitted notebook in its own sandboxed kernel (bubblewrap, when "
                    "installed) with the assignment's hidden tests from solutions/, then write a gradebook CSV and "
                    "one feedback file per student. A progress bar with an ETA goes to standard error. Needs the "
                    "[instructor] extra.",
                    example="gmg-teach grade submitted/ --assignment 01_the_maze --out grades.csv --jobs 2")
    p.add_argument("submissions", nargs="+", help="submitted notebooks, or folders of them. The student's name is "
                   "the file name, or the folder name for <student>/<assignment>.ipynb")
    p.add_argument("--assignment", required=True, help="assignment name: solutions/<NAME>.ipynb holds its tests")
    p.add_argument("--out", required=True, help="gradebook CSV to write (hand-graded points in it are kept)")
    p.add_argument("--solutions", default="solutions", help="folder of solution notebooks (default: solutions)")
    p.add_argument("--feedback-dir", default=None, help="where to write <student>.md (default: <OUT>_feedback/)")
    p.add_argument("--jobs", type=int, default=1, help=f"notebooks graded at once (this machine: {os.cpu_count()})")
    p.add_argument("--exercises", default=None, help="folder of the exercises, holding the visible checks' expected "
                   "values (default: exercises/ next to the solutions folder)")
    p.add_argument("--timeout", type=float, default=120.0, help="time limit per cell, seconds (default: 120); a cell "
                   "that runs longer scores what it would have tested as zero, and the rest still runs")
    p.add_argument("--memory", type=float, default=4.0, help="memory limit per kernel, GB (default: 4)")
    p.set_defaults(handler=run_grade)


def run_grade(args) -> int:
    from ..cli import progress_bar
    from ..extras import require

    require("gmg-teach grade", "nbgrader", "nbformat", "nbclient", "jupyter_client", "ipykernel", "zmq",
            extra="instructor")
    from .grader import grade_class
    from .isolation import Limits

    if args.jobs < 1 or args.timeout <= 0 or args.memory < 0.5:
        raise ValueError("--jobs must be at least 1, --timeout more than 0 seconds and --memory at least 0.5 GB")
    start = time.monotonic()
    with progress_bar(args, None, "grading", unit="notebook") as bar:
        def progress(total):  # the submissions are found: the bar learns its length
            bar.reset(total=total)
            return lambda result: bar.update(1)

        rows = grade_class(args.submissions, args.assignment, args.out, solutions_dir=args.solutions,
                           feedback_dir=args.feedback_dir, jobs=args.jobs, timeout=args.timeout,
                           exercises_dir=args.exercises, limits=Limits(memory_bytes=int(args.memory * 1024**3)),
                           progress=progress)
    sys.stdout.reconfigure(errors="backslashreplace")
    for row in rows:
        print(f"{row['student']:<24} {row['total']:>6} / {row['max']:<6} {row['status']}")
    if not args.quiet:
        print(f"graded {len(rows)} submissions in {time.monotonic() - start:.1f} s -> {args.out}", file=sys.stderr)
    return 0
