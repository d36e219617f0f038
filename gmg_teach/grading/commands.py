"""The ``gmg-teach build-exercises`` and ``gmg-teach grade`` subcommands (registered by ``gmg_teach.cli``).

Bad input raises ``ValueError`` (``BuildError`` is one); ``gmg_teach.cli`` prints it as one line, no traceback.
"""

from __future__ import annotations

import os
import sys
import time


def add_commands(sub) -> None:
    add_build_exercises(sub)
    add_grade(sub)


def add_build_exercises(sub) -> None:
    p = sub.add_parser("build-exercises", help="generate exercises/ (student notebooks) from solutions/")
    p.add_argument("--solutions", default="solutions", help="folder of solution notebooks (default: solutions)")
    p.add_argument("--exercises", default="exercises", help="folder to write exercises to (default: exercises)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if exercises/ is out of date")
    p.add_argument("--force", action="store_true", help="overwrite exercises even if someone edited them by hand")
    p.add_argument("--recompute", action="store_true", help="recompute the visible checks' expected values even "
                   "if the solutions did not change (after a change of the engine)")
    p.set_defaults(handler=run_build_exercises)


def needs_instructor_extra(command: str) -> None:
    """Refuse in one line when nbgrader (whose preprocessors build and grade use) is not installed."""
    import importlib.util

    if importlib.util.find_spec("nbgrader") is None:
        raise ValueError(f"gmg-teach {command} needs nbgrader, which students do not install: "
                         "pip install 'gmg-teach[instructor]' (or -r requirements-instructor.txt)")


def run_build_exercises(args) -> int:
    from .build import build_exercises, check_in_sync

    needs_instructor_extra("build-exercises")

    if args.check:
        problems = check_in_sync(args.solutions, args.exercises, recompute=args.recompute)
        for problem in problems:
            print(problem)
        print("out of date: run `gmg-teach build-exercises`" if problems else "exercises are in sync with solutions")
        return 1 if problems else 0
    for line in build_exercises(args.solutions, args.exercises, force=args.force, recompute=args.recompute):
        print(line)
    return 0


def add_grade(sub) -> None:
    p = sub.add_parser("grade", help="grade submitted notebooks: a gradebook CSV and a feedback file per student")
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
    needs_instructor_extra("grade")
    from .grader import grade_class
    from .isolation import Limits

    if args.jobs < 1 or args.timeout <= 0 or args.memory < 0.5:
        raise ValueError("--jobs must be at least 1, --timeout more than 0 seconds and --memory at least 0.5 GB")
    start = time.monotonic()
    rows = grade_class(args.submissions, args.assignment, args.out, solutions_dir=args.solutions,
                       feedback_dir=args.feedback_dir, jobs=args.jobs, timeout=args.timeout,
                       exercises_dir=args.exercises, limits=Limits(memory_bytes=int(args.memory * 1024**3)))
    sys.stdout.reconfigure(errors="backslashreplace")
    for row in rows:
        print(f"{row['student']:<24} {row['total']:>6} / {row['max']:<6} {row['status']}")
    print(f"graded {len(rows)} submissions in {time.monotonic() - start:.1f} s -> {args.out}", file=sys.stderr)
    return 0
