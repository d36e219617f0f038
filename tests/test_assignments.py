"""The three real assignments grade end to end, and what students install holds none of their answers.

Fast tests (no kernel): the structure each notebook promises (points, one written answer, one prediction), every
name a test cell calls is bound by the instructor's read-only cells or the test cell itself, and no solution
region's code (normalised) appears anywhere in the installed package or in ``exercises/``.

Slow tests (kernels): one ``gmg-teach grade --jobs 2`` run per assignment grades the solution notebook (full
auto-graded marks), the untouched exercise (zero), a planted-wrong submission (the solution with one function body
subtly wrong: loses exactly that exercise's points), a submission that redefines ``visible_check`` (no credit) and,
for assignment 3, one that rebinds it in the read-only setup cell (ignored: that cell is the instructor's). Real
nbgrader autogrades one assignment (03, the quickest) and releases exactly our exercise.
"""

from __future__ import annotations

import ast
import builtins
import csv
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

import gmg_teach
from gmg_teach.cli import main
from gmg_teach.grading.assignment import load_assignment
from gmg_teach.grading.build import grade_id, is_locked, nbgrader_meta

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
PACKAGE = Path(gmg_teach.__file__).resolve().parent

# assignment -> auto-graded points per test cell (what the notebooks promise their students)
POINTS = {
    "01_the_maze": {"test_all_goals_update": 3, "test_choose_move": 3, "test_fit_goal": 2,
                    "test_predict_larger_weight": 1},
    "02_capabilities_vs_goals": {"test_decision_log_likelihood": 3, "test_classify_cell": 3,
                                 "test_predict_renovated_cell": 1, "test_noisy_rates": 3},
    "03_unidentifiability": {"test_goal_posterior": 3, "test_predict_train_posterior": 1, "test_shaped_reward": 2,
                             "test_same_optimal_policy": 2, "test_design_distinguishing_level": 3},
    "04_gallery": {"test_tie_split": 3, "test_distinguishing": 3, "test_smallest_fixing_k": 2,
                   "test_predict_corner_share": 1},
    "05_what_helps": {"test_best_probabilities": 3, "test_ask_or_act": 2, "test_design_probe": 3,
                      "test_predict_strong_prior_asks": 1},
    "06_a_network": {"test_masked_policy": 3, "test_ppo_clip_loss": 2, "test_ablate_channel": 3},
}
MANUAL = {"01_the_maze": "maze_question", "02_capabilities_vs_goals": "dangerous_cell_question",
          "03_unidentifiability": "unidentifiability_question", "04_gallery": "whose_tiebreak",
          "05_what_helps": "asking_question", "06_a_network": "ablation_question"}
PREDICTION = {"01_the_maze": ("predict_larger_weight", "test_fit_goal"),  # (prediction answer, the test before it)
              "02_capabilities_vs_goals": ("predict_renovated_cell", "test_classify_cell"),
              "03_unidentifiability": ("predict_train_posterior", "test_goal_posterior"),
              "04_gallery": ("predict_corner_share", "test_smallest_fixing_k"),
              "05_what_helps": ("predict_strong_prior_asks", "test_design_probe")}

# assignment -> (answer cell, exact text in the reference solution, the subtly wrong text, its test)
PLANTED = {
    "01_the_maze": ("fit_goal",  # the prior precision used as a variance
                    "precision = X.T @ X + prior_precision * np.eye(X.shape[1])",
                    "precision = X.T @ X + np.eye(X.shape[1]) / prior_precision", "test_fit_goal"),
    "02_capabilities_vs_goals": ("classify_cell",  # the mean efficiency, not the median
                                 "median = float(np.median(efficiencies)) if len(efficiencies) else None",
                                 "median = float(np.mean(efficiencies)) if len(efficiencies) else None",
                                 "test_classify_cell"),
    "03_unidentifiability": ("shaped_reward",  # keeps the potential on the objects' tiles
                             "phi = np.where(terminal, 0.0, np.asarray(potential, dtype=float))",
                             "phi = np.asarray(potential, dtype=float)", "test_shaped_reward"),
    "04_gallery": ("tie_split",  # least squares: the prior left out
                   " + prior_precision)", ")", "test_tie_split"),
    "05_what_helps": ("ask_or_act",  # acts on the object most often best, not on the highest mean reward
                      "return int(np.argmax(value.mean(axis=0)))", "return int(np.argmax(best.mean(axis=0)))",
                      "test_ask_or_act"),
    "06_a_network": ("ppo_clip_loss",  # the optimistic bound (min), not PPO's pessimistic one
                     "np.maximum(-advantage * ratio, -advantage * clipped)",
                     "np.minimum(-advantage * ratio, -advantage * clipped)", "test_ppo_clip_loss"),
}
FAKE_CHECK = "\n\n\ndef visible_check(*args, **kwargs):\n    print('✓ all checks passed')\n"


def cell_with(nb, gid: str):
    return next(cell for cell in nb.cells if grade_id(cell) == gid)


def solution(name: str):
    return nbformat.read(SOLUTIONS / f"{name}.ipynb", as_version=4)


def planted_wrong(name: str):
    answer, right, wrong, _ = PLANTED[name]
    nb = solution(name)
    cell = cell_with(nb, answer)
    assert cell.source.count(right) == 1, f"the planted bug no longer applies to {answer}"
    cell.source = cell.source.replace(right, wrong)
    return nb


def redefines_check(name: str):
    """Wrong answer, plus a fake visible_check defined in the answer cell."""
    nb = planted_wrong(name)
    cell_with(nb, PLANTED[name][0]).source += FAKE_CHECK
    return nb


def edits_setup_cell(name: str):
    """Wrong answer, plus a fake visible_check bound in the (read-only) setup cell."""
    nb = planted_wrong(name)
    cell_with(nb, "setup").source += "\nvisible_check = lambda *args, **kwargs: print('✓ all checks passed')\n"
    return nb


# ---------------------------------------------------------------------------------------------------------------
# Fast: structure, protection, no answers in what students install
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(POINTS))
def test_assignment_structure_is_what_the_tests_expect(name):
    assignment = load_assignment(SOLUTIONS, name)
    assert assignment.tests == POINTS[name] and list(assignment.manual) == [MANUAL[name]]
    header = solution(name).cells[0].source
    auto = sum(POINTS[name].values())
    assert f"**Points:** {auto} auto-graded + {int(assignment.manual[MANUAL[name]])} graded by hand" in header


@pytest.mark.parametrize("name", sorted(PREDICTION))
def test_the_prediction_is_recorded_before_the_cell_that_reveals_it(name):
    """Predict before you run: the prediction's answer and test come right before the revealing (ungraded) cell."""
    answer, _ = PREDICTION[name]
    cells = solution(name).cells
    index = next(i for i, c in enumerate(cells) if grade_id(c) == answer)
    variable = re.search(r"^(predicted_\w+) = ", cells[index].source, re.M).group(1)
    reveal = next(c for c in cells[index + 1:] if c.cell_type == "code" and not nbgrader_meta(c))
    assert variable in reveal.source  # the reveal prints the prediction next to the answer
    assert grade_id(cells[index + 1]) == f"test_{answer}"


@pytest.mark.parametrize("name", sorted(POINTS))
def test_every_name_a_test_cell_calls_is_bound_by_the_instructor(name):
    """Under `gmg-teach grade` a name the instructor's cells do not bind is looked up in the student's kernel: a
    function a test calls must be the instructor's."""
    assignment = load_assignment(SOLUTIONS, name)
    imports = {(alias.asname or alias.name).split(".")[0] for node in ast.walk(ast.parse(cell_with(
        solution(name), "setup").source)) if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    for cell in solution(name).cells:
        if grade_id(cell) in assignment.tests:
            tree = ast.parse(cell.source)
            defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))} | {
                n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} | {
                a.arg for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))
                for a in [*n.args.args, *n.args.kwonlyargs]} | {
                alias.asname or alias.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                for alias in n.names}
            called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
            unbound = called - set(dir(builtins)) - imports - defined
            assert not unbound, (grade_id(cell), sorted(unbound))
    assert is_locked(cell_with(solution(name), "setup")), "the setup cell should be read-only (nbgrader 'locked')"


def _normalised_lines(code: str) -> list[str]:
    """Code lines without comments, docstrings, blank lines or indentation."""
    out = []
    for line in code.splitlines():
        line = re.sub(r"#.*$", "", line).strip()
        if line and not line.startswith(('"""', "'''")):
            out.append(re.sub(r"\s+", " ", line))
    return out


def solution_regions():
    for notebook in sorted(SOLUTIONS.glob("*.ipynb")):
        for cell in nbformat.read(notebook, as_version=4).cells:
            for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S):
                lines = _normalised_lines(region)
                if cell.cell_type == "code" and len(lines) >= 2:
                    yield f"{notebook.stem}:{grade_id(cell)}", lines


def test_no_solution_region_appears_in_the_package_or_the_exercises():
    """Each solution region of two or more code lines, normalised, appears in no installed file and no exercise."""
    haystacks = {}
    for path in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.ipynb"), *EXERCISES.glob("*")]:
        if path.is_file() and "__pycache__" not in path.parts:
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix == ".ipynb":
                text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
            haystacks[path] = "\n".join(_normalised_lines(text))
    regions = list(solution_regions())
    assert len(regions) >= 10
    for where, lines in regions:
        needle = "\n".join(lines)
        found = [str(p) for p, text in haystacks.items() if needle in text]
        assert not found, f"the solution of {where} appears in {found}"


def test_no_hidden_test_appears_in_the_exercises():
    for notebook in sorted(EXERCISES.glob("*.ipynb")):
        text = notebook.read_text(encoding="utf-8")
        assert "BEGIN HIDDEN TESTS" not in text and "hidden_check(" not in text and "reference_" not in text


# ---------------------------------------------------------------------------------------------------------------
# Slow: the built-in grader on every assignment, real nbgrader on one
# ---------------------------------------------------------------------------------------------------------------
def submissions(name: str) -> dict:
    crafted = {"solution": solution(name), "untouched": nbformat.read(EXERCISES / f"{name}.ipynb", as_version=4),
               "planted_wrong": planted_wrong(name), "redefines_check": redefines_check(name)}
    if name == "03_unidentifiability":
        crafted["edits_setup_cell"] = edits_setup_cell(name)
    return crafted


def read_rows(out: Path) -> dict[str, dict[str, str]]:
    with out.open(newline="", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def gradebooks(tmp_path_factory):
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
                     "--exercises", str(EXERCISES), "--jobs", "2", "--timeout", "120"]) == 0
        books[name] = read_rows(out)
    return books


def auto(row: dict, name: str) -> dict[str, float]:
    return {gid: float(row[gid]) for gid in POINTS[name]}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(POINTS))
def test_the_solution_scores_full_auto_graded_marks(gradebooks, name):
    row = gradebooks[name]["solution"]
    assert auto(row, name) == POINTS[name] and row["status"] == "graded" and row["notes"] == "", row
    assert row[MANUAL[name]] == "" and float(row["total"]) == sum(POINTS[name].values())


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(POINTS))
def test_the_untouched_exercise_scores_zero(gradebooks, name):
    row = gradebooks[name]["untouched"]
    assert row["status"] == "graded" and float(row["total"]) == 0 and row[MANUAL[name]] == "0", row


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(POINTS))
def test_a_planted_bug_loses_exactly_its_exercise(gradebooks, name):
    row = gradebooks[name]["planted_wrong"]
    assert auto(row, name) == {**POINTS[name], PLANTED[name][3]: 0}, row
    assert row["status"] == "graded"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(POINTS))
def test_redefining_a_check_changes_nothing(gradebooks, name):
    """The fake check lives in the student's kernel; the tests run in the grader: only the planted bug counts."""
    row = gradebooks[name]["redefines_check"]
    assert auto(row, name) == {**POINTS[name], PLANTED[name][3]: 0} and row["status"] == "graded", row


@pytest.mark.slow
def test_a_check_rebound_in_the_setup_cell_is_ignored(gradebooks):
    name = "03_unidentifiability"
    row = gradebooks[name]["edits_setup_cell"]
    assert auto(row, name) == {**POINTS[name], PLANTED[name][3]: 0}, row


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Object of type")  # nbgrader's own SQLAlchemy session warnings
@pytest.mark.parametrize("name", sorted(POINTS))
def test_real_nbgrader_autogrades_every_assignment(tmp_path, monkeypatch, name):
    pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -r requirements-instructor.txt)")
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))  # alembic
    course = tmp_path / "course"
    expected = EXERCISES / f"{name}.expected.json"  # handed out with the exercise; the visible checks read it
    (course / "source" / name).mkdir(parents=True)
    shutil.copy(SOLUTIONS / f"{name}.ipynb", course / "source" / name)
    shutil.copy(expected, course / "source" / name)
    students = {"sol": SOLUTIONS / f"{name}.ipynb", "stub": EXERCISES / f"{name}.ipynb"}
    for student, notebook in students.items():
        folder = course / "submitted" / student / name
        folder.mkdir(parents=True)
        shutil.copy(notebook, folder / f"{name}.ipynb")
        shutil.copy(expected, folder)
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
