"""The three real assignments grade end to end: built-in grader and (if installed) real nbgrader.

One module-scoped run per assignment grades, with ``gmg-teach grade --jobs 2``: the solution notebook (full
auto-graded marks), the untouched exercise (zero), a planted-wrong submission (the solution with one function body
subtly wrong: loses exactly that exercise's points), a submission that redefines the check of that exercise (no
credit) and, for assignment 3, one that rebinds a check in the notebook's import cell (that cell is the
instructor's: the student's edit is ignored). ``GMG_TEACH_FAST=1`` reaches the kernels: the grader passes the
environment through. Real nbgrader runs on assignment 3 only (the quickest to execute; 01 takes ~12 s a run).
"""

from __future__ import annotations

import ast
import csv
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from gmg_teach.cli import main
from gmg_teach.grading.build import is_locked, nbgrader_meta
from gmg_teach.grading.grader import load_assignment

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"

# assignment -> auto-graded points per test cell (what the notebooks promise their students)
POINTS = {
    "01_the_maze": {"epsilon_greedy_test": 2, "q_update_test": 2, "green_object_rate_test": 2,
                    "deployment_rates_test": 3},
    "02_capabilities_vs_goals": {"path_efficiency_test": 2, "revealed_goal_test": 3, "classify_cell_test": 2,
                                 "shifted_rollout_test": 3},
    "03_unidentifiability": {"value_iteration_test": 3, "consistent_goals_test": 3, "shaped_reward_test": 2,
                             "same_optimal_policy_test": 2, "distinguishing_level_test": 3},
}
MANUAL = {"01_the_maze": "control_question", "02_capabilities_vs_goals": "dangerous_cell_question",
          "03_unidentifiability": "unidentifiability_question"}

# assignment -> (answer cell, exact text in the reference solution, the subtly wrong text, its test, its check)
PLANTED = {
    "01_the_maze": ("q_update_solution",  # bootstraps from the terminal state
                    "future = 0.0 if terminated else discount * np.max(q_table[next_state])",
                    "future = discount * np.max(q_table[next_state])", "q_update_test", "check_q_update"),
    "02_capabilities_vs_goals": ("path_efficiency_solution",  # shortest distance from the level's start, not path[0]
                                 "tables.distance[level, obj, path[0]]",
                                 "tables.distance[level, obj, tables.start[level]]", "path_efficiency_test",
                                 "check_path_efficiency"),
    "03_unidentifiability": ("shaped_reward_solution",  # keeps the potential on terminal tiles
                             "phi = np.where(terminal, 0.0, potential)", "phi = np.asarray(potential, dtype=float)",
                             "shaped_reward_test", "check_shaped_reward"),
}


def cell_with(nb, grade_id: str):
    return next(cell for cell in nb.cells if nbgrader_meta(cell).get("grade_id") == grade_id)


def solution(name: str):
    return nbformat.read(SOLUTIONS / f"{name}.ipynb", as_version=4)


def planted_wrong(name: str):
    answer, right, wrong, _, _ = PLANTED[name]
    nb = solution(name)
    cell = cell_with(nb, answer)
    assert cell.source.count(right) == 1, f"the planted bug no longer applies to {answer}"
    cell.source = cell.source.replace(right, wrong)
    return nb


def redefines_check(name: str):
    """Wrong answer, plus a fake of its check defined in the answer cell."""
    answer, _, _, _, check = PLANTED[name]
    nb = planted_wrong(name)
    cell_with(nb, answer).source += f"\n\n\ndef {check}(*args, **kwargs):\n    print('✓ all checks passed')\n"
    return nb


def edits_import_cell(name: str):
    """Wrong answer, plus a fake check bound in the (read-only) import cell the exercise starts with."""
    answer, _, _, _, check = PLANTED[name]
    nb = planted_wrong(name)
    imports = next(cell for cell in nb.cells if cell.cell_type == "code" and "import" in cell.source)
    imports.source += f"\n{check} = lambda *args, **kwargs: print('✓ all checks passed')\n"
    return nb


def submissions(name: str) -> dict:
    crafted = {"solution": solution(name), "untouched": nbformat.read(EXERCISES / f"{name}.ipynb", as_version=4),
               "planted_wrong": planted_wrong(name), "redefines_check": redefines_check(name)}
    if name == "03_unidentifiability":
        crafted["edits_import_cell"] = edits_import_cell(name)
    return crafted


def read_rows(out: Path) -> dict[str, dict[str, str]]:
    with out.open(newline="", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def fast_kernels():
    old = os.environ.get("GMG_TEACH_FAST")
    os.environ["GMG_TEACH_FAST"] = "1"  # the grader starts kernels with this process's environment
    yield
    if old is None:
        del os.environ["GMG_TEACH_FAST"]
    else:
        os.environ["GMG_TEACH_FAST"] = old


@pytest.fixture(scope="module")
def gradebooks(tmp_path_factory, fast_kernels):
    """assignment -> its gradebook rows, one `gmg-teach grade --jobs 2` call per assignment."""
    root = tmp_path_factory.mktemp("real")
    books = {}
    for name in POINTS:
        folder = root / name
        folder.mkdir()
        for student, nb in submissions(name).items():
            nbformat.write(nb, folder / f"{student}.ipynb")
        out = root / f"{name}.csv"
        assert main(["grade", str(folder), "--assignment", name, "--out", str(out), "--solutions", str(SOLUTIONS),
                     "--jobs", "2", "--timeout", "120"]) == 0
        books[name] = read_rows(out)
    return books


def auto(row: dict, name: str) -> dict[str, float]:
    return {grade_id: float(row[grade_id]) for grade_id in POINTS[name]}


@pytest.mark.parametrize("name", sorted(POINTS))
def test_assignment_structure_is_what_the_tests_expect(name):
    assignment = load_assignment(SOLUTIONS, name)
    assert assignment.tests == POINTS[name] and list(assignment.manual) == [MANUAL[name]]


@pytest.mark.parametrize("name", sorted(POINTS))
def test_every_check_a_test_cell_calls_is_imported_by_a_read_only_cell(name):
    """Otherwise a student can rebind the check in an editable cell, and neither the guard nor the scan knows it."""
    assignment = load_assignment(SOLUTIONS, name)
    for cell in solution(name).cells:
        if nbgrader_meta(cell).get("grade_id") in assignment.tests:
            called = {node.func.id for node in ast.walk(ast.parse(cell.source))
                      if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
            assert called <= set(assignment.imports), (cell.source, sorted(assignment.imports))
    first_code = next(cell for cell in solution(name).cells if cell.cell_type == "code")
    assert is_locked(first_code), "the import cell should be read-only (nbgrader 'locked')"


@pytest.mark.parametrize("name", sorted(POINTS))
def test_the_solution_scores_full_auto_graded_marks(gradebooks, name):
    row = gradebooks[name]["solution"]
    assert auto(row, name) == POINTS[name] and row["status"] == "graded" and row["notes"] == "", row
    assert row[MANUAL[name]] == "" and float(row["total"]) == sum(POINTS[name].values())


@pytest.mark.parametrize("name", sorted(POINTS))
def test_the_untouched_exercise_scores_zero(gradebooks, name):
    row = gradebooks[name]["untouched"]
    assert row["status"] == "graded" and row["total"] == "0" and row[MANUAL[name]] == "0", row


@pytest.mark.parametrize("name", sorted(POINTS))
def test_a_planted_bug_loses_exactly_its_exercise(gradebooks, name):
    test = PLANTED[name][3]
    row = gradebooks[name]["planted_wrong"]
    assert auto(row, name) == {**POINTS[name], test: 0}, row
    assert row["status"] == "graded"


@pytest.mark.parametrize("name", sorted(POINTS))
def test_redefining_a_check_gets_no_credit(gradebooks, name):
    row = gradebooks[name]["redefines_check"]
    assert row["status"] == "tampering" and row["total"] == "0", row
    assert f"defines its own '{PLANTED[name][4]}'" in row["notes"]


def test_a_check_rebound_in_the_import_cell_is_ignored(gradebooks):
    name = "03_unidentifiability"
    row = gradebooks[name]["edits_import_cell"]
    assert auto(row, name) == {**POINTS[name], PLANTED[name][3]: 0}, row


# ---------------------------------------------------------------------------------------------------------------
# Real nbgrader (requirements-instructor.txt) on every real assignment
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Object of type")  # nbgrader's own SQLAlchemy session warnings
@pytest.mark.parametrize("name", ["01_the_maze", "02_capabilities_vs_goals", "03_unidentifiability"])
def test_real_nbgrader_autogrades_a_real_assignment(name, tmp_path, monkeypatch):
    pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -r requirements-instructor.txt)")
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))  # alembic
    monkeypatch.setenv("GMG_TEACH_FAST", "1")
    course = tmp_path / "course"
    (course / "source" / name).mkdir(parents=True)
    shutil.copy(SOLUTIONS / f"{name}.ipynb", course / "source" / name)
    students = {"sol": SOLUTIONS / f"{name}.ipynb", "stub": EXERCISES / f"{name}.ipynb"}
    for student, notebook in students.items():
        (course / "submitted" / student / name).mkdir(parents=True)
        shutil.copy(notebook, course / "submitted" / student / name / f"{name}.ipynb")
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.db_assignments = [dict(name=name)]
    config.CourseDirectory.db_students = [dict(id=student) for student in students]
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    assert api.generate_assignment(name, force=True)["success"]
    for student in students:
        assert api.autograde(name, student, force=True)["success"]
    released = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    ours = nbformat.read(EXERCISES / f"{name}.ipynb", as_version=4)
    ours.metadata.pop("gmg_teach")
    assert released == ours  # what nbgrader releases is our exercise
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {student: gradebook.find_submission(name, student).score for student in students}
        max_score = gradebook.find_assignment(name).max_score
    assert scores == {"sol": sum(POINTS[name].values()), "stub": 0.0}  # the written answer waits for a human
    assert max_score == sum(POINTS[name].values()) + 2
