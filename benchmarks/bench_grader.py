"""Grade a class of 30 crafted submissions with --jobs 1 and --jobs 2: the toy assignment, or the real 01_the_maze.

Run from the repository root:  python benchmarks/bench_grader.py [--timeout 5]
                               python benchmarks/bench_grader.py --assignment 01_the_maze [--timeout 60]

Toy (default): the class cycles through every crafted kind (correct, partly wrong, raising, hanging, broken files,
moved, deleted and duplicated cells, edited tests, tampering; see tests/fixtures/grading/crafted.py).

01_the_maze: 30 distinct submissions of the real first assignment (``REAL_KINDS`` below), built from the exercise
the students get with answers taken from ``solutions/``: correct ones, planted bugs, raising and hanging code, a
crashed kernel, tampering (a redefined check, monkeypatched ``gmg_teach.grading.checks``, patched builtins, exec,
an alias the scan cannot follow), moved, deleted and duplicated cells, edited tests, invalid JSON, an empty file.
Kernels run with ``GMG_TEACH_FAST=1`` (the grader passes its environment through). Each kind has its expected
auto-graded points and status; mismatches are listed.

Prints the wall time of each run and the gradebook, and checks that both runs wrote the same gradebook.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "grading"
sys.path.insert(0, str(FIXTURES))
from crafted import CRAFTED  # noqa: E402

from gmg_teach.grading.build import nbgrader_meta, render  # noqa: E402
from gmg_teach.grading.grader import grade_class  # noqa: E402

# ---------------------------------------------------------------------------------------------------------------
# 30 crafted submissions of the real assignment 01_the_maze
# ---------------------------------------------------------------------------------------------------------------
MAZE = "01_the_maze"
POINTS = {"epsilon_greedy_test": 2, "q_update_test": 2, "green_object_rate_test": 2, "deployment_rates_test": 3}
ANSWER_OF = {test: test.replace("_test", "_solution") for test in POINTS}
WRITTEN = ("The control sees the same cues and learns with the same rule; only its training levels differ, and it "
           "goes to the exit, so the failure comes from the data, not from perception.")


def _nb(path: Path):
    return nbformat.read(path, as_version=4)


def _cell(nb, grade_id: str):
    return next(cell for cell in nb.cells if nbgrader_meta(cell).get("grade_id") == grade_id)


def _index(nb, grade_id: str) -> int:
    return next(i for i, cell in enumerate(nb.cells) if nbgrader_meta(cell).get("grade_id") == grade_id)


def _reference_answers() -> dict[str, str]:
    """Each answer cell of the solution without the solution markers: what a student who got it right writes."""
    answers = {}
    for cell in _nb(ROOT / "solutions" / f"{MAZE}.ipynb").cells:
        if nbgrader_meta(cell).get("solution") and cell.cell_type == "code":
            answers[nbgrader_meta(cell)["grade_id"]] = re.sub(r"\n *### (BEGIN|END) SOLUTION", "", cell.source)
    return answers


def _answered(wrong: dict[str, tuple[str, str]] = None, written: bool = True):
    """The exercise with every answer filled in correctly, except ``wrong``: answer -> (correct text, replacement)."""
    nb = _nb(ROOT / "exercises" / f"{MAZE}.ipynb")
    for grade_id, source in _reference_answers().items():
        for right, bad in [(wrong or {}).get(grade_id, ("", ""))]:
            if right:
                assert source.count(right) == 1, (grade_id, right)
                source = source.replace(right, bad)
        _cell(nb, grade_id).source = source
    if written:
        _cell(nb, "control_question").source = WRITTEN
    return nb


def _with_cell(nb, source: str, after: str = "epsilon_greedy_test"):
    nb.cells.insert(_index(nb, after) + 1, nbformat.v4.new_code_cell(source))
    return nb


def _edit(nb, grade_id: str, change):
    cell = _cell(nb, grade_id)
    cell.source = change(cell.source)
    return nb


def _move(nb, grade_id: str, to_after: str):
    cell = nb.cells.pop(_index(nb, grade_id))
    nb.cells.insert(_index(nb, to_after) + 1, cell)
    return nb


def _delete(nb, grade_id: str):
    del nb.cells[_index(nb, grade_id)]
    return nb


def _duplicate(nb, grade_id: str):
    copy = nbformat.from_dict(_cell(nb, grade_id))
    copy.id = "student-copy"
    nb.cells.insert(_index(nb, grade_id) + 1, copy)
    return nb


BOOTSTRAPS_TERMINAL = ("0.0 if terminated else discount", "discount")
NO_TIE_BREAK = ("best = allowed[q_allowed == q_allowed.max()]\n    return int(rng.choice(best))",
                "return int(allowed[np.argmax(q_allowed)])")
WALKS_INTO_WALLS = ("return int(rng.choice(allowed))", "return int(rng.integers(4))")
GREEN_APPLES_ONLY = ("return float(np.mean(reached_something & (colour == Colour.GREEN)))",
                     "return rollouts.rates()['green_apple']")
SWAPPED = ('"proxy": rollout(proxy,', '"proxy": rollout(control,')
FAKE = "print('\u2713 q_update: 6/6 checks passed')"
EVERYTHING = sum(POINTS.values())
ALL_BUT = {test: EVERYTHING - points for test, points in POINTS.items()}

# kind -> (make the notebook text, expected auto-graded points, expected status)
REAL_KINDS = {
    "correct": (lambda: _answered(), EVERYTHING, "graded"),
    "correct_no_written": (lambda: _answered(written=False), EVERYTHING, "graded"),
    "untouched": (lambda: _nb(ROOT / "exercises" / f"{MAZE}.ipynb"), 0, "graded"),
    "no_tie_break": (lambda: _answered({"epsilon_greedy_solution": NO_TIE_BREAK}),
                     ALL_BUT["epsilon_greedy_test"], "graded"),
    "walks_into_walls": (lambda: _answered({"epsilon_greedy_solution": WALKS_INTO_WALLS}),
                         ALL_BUT["epsilon_greedy_test"], "graded"),
    "bootstraps_terminal": (lambda: _answered({"q_update_solution": BOOTSTRAPS_TERMINAL}),
                            ALL_BUT["q_update_test"], "graded"),
    "green_apples_only": (lambda: _answered({"green_object_rate_solution": GREEN_APPLES_ONLY}),
                          ALL_BUT["green_object_rate_test"], "graded"),
    "swapped_agents": (lambda: _answered({"deployment_rates_solution": SWAPPED}),
                       ALL_BUT["deployment_rates_test"], "graded"),
    "two_bugs": (lambda: _answered({"q_update_solution": BOOTSTRAPS_TERMINAL,
                                    "green_object_rate_solution": GREEN_APPLES_ONLY}), 5, "graded"),
    "raises_before_def": (lambda: _edit(_answered(), "q_update_solution", lambda s: "raise ValueError('oops')\n" + s),
                          ALL_BUT["q_update_test"], "graded"),
    "raises_in_extra_cell": (lambda: _with_cell(_answered(), "undefined_name + 1"), EVERYTHING, "graded"),
    "hangs_in_extra_cell": (lambda: _with_cell(_answered(), "while True:\n    pass"), 2, "timeout"),
    "hangs_in_function": (lambda: _edit(_answered(), "q_update_solution",
                                        lambda s: s.replace('"""\n', '"""\n    while True:\n        pass\n', 1)),
                          2, "timeout"),
    "kernel_exit": (lambda: _with_cell(_answered(), "os._exit(1)", after="q_update_test"), 4, "kernel died"),
    "redefines_check": (lambda: _edit(_answered({"q_update_solution": BOOTSTRAPS_TERMINAL}), "q_update_solution",
                                      lambda s: s + f"\n\n\ndef check_q_update(*args, **kwargs):\n    {FAKE}\n"),
                        0, "tampering"),
    "patches_checks_module": (lambda: _with_cell(_answered({"q_update_solution": BOOTSTRAPS_TERMINAL}),
                                                 "import gmg_teach.grading.checks as c\n"
                                                 "c.check_q_update = lambda *args, **kwargs: None"), 0, "tampering"),
    "patches_report": (lambda: _with_cell(_answered({"q_update_solution": BOOTSTRAPS_TERMINAL}),
                                          "from gmg_teach.grading import feedback\n"
                                          "feedback.report.__exit__ = lambda *args: True"), 0, "tampering"),
    "patches_numpy": (lambda: _with_cell(_answered({"q_update_solution": BOOTSTRAPS_TERMINAL}),
                                         "np.allclose = lambda *args, **kwargs: True"), 0, "tampering"),
    "setattr_checks": (lambda: _with_cell(_answered({"q_update_solution": BOOTSTRAPS_TERMINAL}),
                                          "from gmg_teach.grading import checks\n"
                                          "setattr(checks, 'check_q_update', print)"), 0, "tampering"),
    "uses_exec": (lambda: _with_cell(_answered({"q_update_solution": BOOTSTRAPS_TERMINAL}),
                                     "exec('check_q_update = print')"), 0, "tampering"),
    # an alias the scan does not follow: the guard reloads the checks before each test, so q_update still fails
    "patches_via_alias": (lambda: _with_cell(_answered({"q_update_solution": BOOTSTRAPS_TERMINAL}),
                                             "import gmg_teach.grading.checks as c\nalias = c\n"
                                             "alias.check_q_update = print"), ALL_BUT["q_update_test"], "graded"),
    "edits_import_cell": (lambda: _edit(_answered({"q_update_solution": BOOTSTRAPS_TERMINAL}), "setup",
                                        lambda s: s + "\ncheck_q_update = print\n"), ALL_BUT["q_update_test"],
                          "graded"),
    "deletes_import_cell": (lambda: _delete(_answered(), "setup"), EVERYTHING, "graded"),
    "edits_visible_test": (lambda: _edit(_answered({"q_update_solution": BOOTSTRAPS_TERMINAL}), "q_update_test",
                                         lambda s: FAKE), ALL_BUT["q_update_test"], "graded"),
    "deletes_test_cell": (lambda: _delete(_answered(), "green_object_rate_test"), EVERYTHING, "graded"),
    "moves_answers": (lambda: _move(_move(_answered(), "q_update_solution", "setup"), "epsilon_greedy_solution",
                                    "deployment_rates_test"), EVERYTHING, "graded"),
    "deletes_answer": (lambda: _delete(_answered(), "green_object_rate_solution"), ALL_BUT["green_object_rate_test"],
                       "graded"),
    "duplicates_answer": (lambda: _duplicate(_answered(), "epsilon_greedy_solution"), ALL_BUT["epsilon_greedy_test"],
                          "graded"),
    "invalid_json": (lambda: render(_answered())[:2000], 0, "not valid JSON"),
    "empty": (lambda: "", 0, "empty file"),
}
assert len(REAL_KINDS) == 30


def write_real_class(folder: Path) -> dict[str, tuple[float, str]]:
    """Write the 30 submissions of 01_the_maze as ``folder/sNN_<kind>.ipynb``; return student -> expectations."""
    expected = {}
    for number, (kind, (make, points, status)) in enumerate(REAL_KINDS.items(), start=1):
        nb = make()
        student = f"s{number:02d}_{kind}"
        (folder / f"{student}.ipynb").write_text(nb if isinstance(nb, str) else render(nb), encoding="utf-8")
        expected[student] = (points, status)
    return expected


def compare(gradebook: str, expected: dict[str, tuple[float, str]]) -> list[str]:
    """Rows whose auto-graded points or status differ from what their kind should get."""
    wrong = []
    for row in csv.DictReader(io.StringIO(gradebook)):
        points = sum(float(row[test]) for test in POINTS)
        want_points, want_status = expected[row["student"]]
        if points != want_points or not row["status"].startswith(want_status):
            wrong.append(f"{row['student']}: {points:g} points, {row['status']!r}; expected {want_points:g}, "
                         f"{want_status!r}")
    return wrong


def compact(gradebook: str) -> str:
    """The gradebook as an aligned table, notes shortened."""
    rows = list(csv.reader(io.StringIO(gradebook)))
    short = {"epsilon_greedy_test": "eps", "q_update_test": "q_upd", "green_object_rate_test": "green",
             "deployment_rates_test": "deploy", "control_question": "written"}
    rows[0] = [short.get(name, name) for name in rows[0]]
    limits = [40] * (len(rows[0]) - 1) + [90]
    rows = [[cell if len(cell) <= limit else cell[:limit - 3] + "..." for cell, limit in zip(row, limits)]
            for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(" ".join(cell.ljust(width) for cell, width in zip(row, widths)) + " " + row[-1]
                     for row in rows) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", choices=["toy", MAZE], default="toy",
                        help="the toy fixture (default) or 30 crafted submissions of the real 01_the_maze")
    parser.add_argument("--students", type=int, default=30, help="class size (toy only; the real class is 30)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="time limit per notebook, s (the hanging ones); default 5 for toy, 60 for 01_the_maze")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values to time (default: 1 2)")
    args = parser.parse_args()
    real = args.assignment == MAZE
    timeout = args.timeout or (60.0 if real else 5.0)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FIXTURES), os.environ.get("PYTHONPATH")]))
    if real:
        os.environ["GMG_TEACH_FAST"] = "1"  # the grader starts kernels with this environment
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submitted"
        folder.mkdir()
        if real:
            expected = write_real_class(folder)
        else:
            kinds = list(islice(cycle(sorted(CRAFTED)), args.students))
            for number, kind in enumerate(kinds, start=1):
                (folder / f"s{number:02d}_{kind}.ipynb").write_text(CRAFTED[kind](), encoding="utf-8")
        gradebooks = {}
        solutions = ROOT / "solutions" if real else FIXTURES / "solutions"
        for jobs in args.jobs:
            out = Path(tmp) / f"grades_jobs{jobs}.csv"
            start = time.perf_counter()
            grade_class([folder], args.assignment, out, solutions_dir=solutions, jobs=jobs, timeout=timeout)
            print(f"--jobs {jobs}: {len(list(folder.iterdir()))} submissions in {time.perf_counter() - start:.1f} s "
                  f"(time limit {timeout:g} s per notebook)")
            gradebooks[jobs] = out.read_text(encoding="utf-8")
        last = gradebooks[args.jobs[-1]]
        print(compact(last) if real else last, end="")
        if len(gradebooks) > 1:
            print(f"same gradebook with --jobs {' and '.join(map(str, gradebooks))}:",
                  len(set(gradebooks.values())) == 1)
        if real:
            wrong = [line for book in gradebooks.values() for line in compare(book, expected)]
            print("UNEXPECTED:\n  " + "\n  ".join(wrong) if wrong else "every submission scored as its kind should")
            return 1 if wrong else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
