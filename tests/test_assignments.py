"""Every real assignment (solutions/*.ipynb) grades end to end: the built-in grader and real nbgrader.

Generic: what each assignment should score follows from its cells' points. For each assignment one
``gmg-teach grade --jobs 2`` run grades the solution (full auto-graded marks), the untouched exercise (zero), one
submission per planted bug declared in ``solutions/<assignment>.bugs.py`` (the solution with that bug: loses exactly
that answer's tests) and one that redefines a check (zero). Real nbgrader runs on the first assignment only: it is
the same round trip for every assignment. Kernels see ``GMG_TEACH_FAST=1`` (set with monkeypatch).
"""

from __future__ import annotations

import csv
import os
import runpy
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from gmg_teach.cli import main
from gmg_teach.grading.assignment import load_assignment
from gmg_teach.grading.build import grade_id

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "grading"))
from crafted import Crafted, crafted_class, expected_points, read_source  # noqa: E402

ASSIGNMENTS = sorted(p.stem for p in SOLUTIONS.glob("*.ipynb"))
pytestmark = pytest.mark.skipif(not ASSIGNMENTS, reason="no solution notebooks yet")


def planted_bugs(name: str) -> dict[str, Crafted]:
    """Submissions from ``solutions/<name>.bugs.py``: BUGS = {answer grade_id: [(why, right text, wrong text)]}."""
    path = SOLUTIONS / f"{name}.bugs.py"
    if not path.exists():
        return {}
    bugs = runpy.run_path(str(path))["BUGS"]
    out = {}
    for answer, planted in bugs.items():
        for number, (why, right, wrong) in enumerate(planted, start=1):
            nb = nbformat.read(SOLUTIONS / f"{name}.ipynb", as_version=4)
            cell = next(c for c in nb.cells if grade_id(c) == answer)
            assert cell.source.count(right) == 1, f"{path}: the bug {why!r} no longer applies to {answer}"
            cell.source = cell.source.replace(right, wrong)
            out[f"bug_{answer}_{number}"] = Crafted(nbformat.writes(nb), {answer})
    return out


def submissions(name: str) -> dict[str, Crafted]:
    crafted = crafted_class(SOLUTIONS / f"{name}.ipynb", EXERCISES / f"{name}.ipynb")
    solution = Crafted((SOLUTIONS / f"{name}.ipynb").read_text(encoding="utf-8"))
    return {"solution": solution, "untouched": crafted["untouched"], "redefines_check": crafted["a_redefines_check"],
            **planted_bugs(name)}


@pytest.fixture(scope="module")
def gradebooks(tmp_path_factory):
    """assignment -> its gradebook rows, one `gmg-teach grade --jobs 2` call per assignment."""
    root = tmp_path_factory.mktemp("real")
    books = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GMG_TEACH_FAST", "1")  # passed on into the sandboxed kernels
        for name in ASSIGNMENTS:
            folder = root / name
            folder.mkdir()
            for student, item in submissions(name).items():
                (folder / f"{student}.ipynb").write_text(item.text, encoding="utf-8")
            out = root / f"{name}.csv"
            assert main(["grade", str(folder), "--assignment", name, "--out", str(out), "--solutions",
                         str(SOLUTIONS), "--exercises", str(EXERCISES), "--jobs", "2", "--timeout", "300"]) == 0
            with out.open(newline="", encoding="utf-8") as f:
                books[name] = {row["student"]: row for row in csv.DictReader(f)}
    return books


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_assignment_loads_with_points_and_a_written_answer(name):
    assignment = load_assignment(SOLUTIONS, name, EXERCISES)
    assert assignment.tests and all(points > 0 for points in assignment.tests.values())
    assert assignment.manual, "each assignment ends with a written answer"


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_each_submission_scores_what_its_cells_promise(gradebooks, name):
    source = read_source(SOLUTIONS / f"{name}.ipynb")
    for student, item in submissions(name).items():
        row = gradebooks[name][student]
        got = {test: float(row[test]) for test in source.points}
        assert got == expected_points(source, item), (student, row)
    assert gradebooks[name]["solution"]["status"] == "graded" and gradebooks[name]["solution"]["notes"] == ""
    assert gradebooks[name]["redefines_check"]["status"] == "tampering"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Object of type")  # nbgrader's own SQLAlchemy session warnings
def test_real_nbgrader_autogrades_a_real_assignment(tmp_path, monkeypatch):
    pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -r requirements-instructor.txt)")
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    name = ASSIGNMENTS[0]
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))  # alembic
    monkeypatch.setenv("GMG_TEACH_FAST", "1")
    course = tmp_path / "course"
    (course / "source" / name).mkdir(parents=True)
    shutil.copy(SOLUTIONS / f"{name}.ipynb", course / "source" / name)
    for extra in EXERCISES.glob(f"{name}.expected.json"):
        shutil.copy(extra, course / "source" / name)
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
    points = load_assignment(SOLUTIONS, name, EXERCISES).tests
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {student: gradebook.find_submission(name, student).score for student in students}
    assert scores == {"sol": sum(points.values()), "stub": 0.0}  # written answers wait for a human
