"""The grader (``gmg-teach grade``) on crafted submissions of a toy assignment, and the feedback helper.

One module-scoped run grades every crafted submission (``--jobs 2``, a 5 s time limit for the hanging one); each
failure mode then has its own test reading that run's gradebook.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import sys
from pathlib import Path

import pytest

from gmg_teach.cli import main
from gmg_teach.grading.feedback import CheckFailed, report
from gmg_teach.grading.grader import check_feedback_writable, scan_for_tampering, student_name

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
sys.path.insert(0, str(FIXTURES))
from crafted import CRAFTED, EXPECTED, write_all  # noqa: E402

TIMEOUT = "5"


@pytest.fixture(scope="module")
def kernel_path():
    """Kernels must import the toy checks (toy_checks.py) from the fixtures folder."""
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FIXTURES), old]))
    yield
    if old is None:
        del os.environ["PYTHONPATH"]
    else:
        os.environ["PYTHONPATH"] = old


def grade(submissions, out, *extra) -> int:
    return main(["grade", *map(str, submissions), "--assignment", "toy", "--out", str(out),
                 "--solutions", str(FIXTURES / "solutions"), "--timeout", TIMEOUT, *extra])


def read_rows(out: Path) -> dict[str, dict[str, str]]:
    with out.open(newline="", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, kernel_path):
    """Grade every crafted submission once; return (rows, submission folder, gradebook path, digests before)."""
    root = tmp_path_factory.mktemp("class")
    write_all(root / "submitted")
    before = digests(root / "submitted")
    out = root / "grades.csv"
    assert grade([root / "submitted"], out, "--jobs", "2") == 0
    return read_rows(out), root, out, before


def auto_total(row) -> float:
    return sum(float(row[g]) for g in ("test_add", "test_mean", "test_clip"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_crafted_submission_scores_as_expected(graded, name):
    rows = graded[0]
    assert auto_total(rows[name]) == EXPECTED[name], rows[name]


def test_correct_submission_gets_full_marks_and_its_written_answer_is_left_for_the_instructor(graded):
    row = graded[0]["correct"]
    assert (row["test_add"], row["test_mean"], row["test_clip"], row["explain"]) == ("1", "2", "2", "")
    assert (row["total"], row["max"], row["status"], row["notes"]) == ("5", "6", "graded", "")


def test_untouched_exercise_scores_zero_including_the_written_answer(graded):
    row = graded[0]["untouched"]
    assert row["total"] == "0" and row["explain"] == "0"


def test_hidden_tests_are_reinserted(graded):
    rows = graded[0]
    assert rows["partly_wrong"]["test_mean"] == "0"  # passes the visible check, fails the hidden one
    feedback = (graded[2].parent / "grades_feedback" / "partly_wrong.md").read_text()
    assert "xs=[-1, -3]" in feedback


def test_a_raising_cell_costs_only_its_exercise(graded):
    row = graded[0]["raises"]
    assert (row["test_add"], row["status"]) == ("0", "graded")
    assert "NameError" in (graded[2].parent / "grades_feedback" / "raises.md").read_text()


def test_a_hanging_notebook_is_stopped_and_keeps_what_passed_before(graded):
    row = graded[0]["hangs"]
    assert row["status"] == "timeout" and "time limit of 5 s" in row["notes"]
    assert (row["test_add"], row["test_mean"], row["test_clip"]) == ("1", "0", "0")


@pytest.mark.parametrize("name, status", [("invalid_json", "not valid JSON"), ("empty", "empty file")])
def test_unreadable_files_are_recorded_and_the_class_goes_on(graded, name, status):
    assert graded[0][name]["status"].startswith(status)
    assert graded[0]["correct"]["total"] == "5"


def test_moved_answer_cells_are_found_by_grade_id(graded):
    assert graded[0]["moved"]["total"] == "5"


def test_deleted_answer_scores_zero_with_a_note_and_the_rest_is_graded(graded):
    row = graded[0]["deleted_answer"]
    assert row["test_mean"] == "0" and "mean: scored zero because its cell was deleted" in row["notes"]
    assert (row["test_add"], row["test_clip"]) == ("1", "2")


def test_duplicated_answer_scores_zero_with_a_note(graded):
    row = graded[0]["duplicated_answer"]
    assert row["test_add"] == "0" and "add: scored zero because its cell appears 2 times" in row["notes"]
    assert row["test_clip"] == "2"


def test_edited_or_deleted_visible_tests_are_replaced_by_the_instructors(graded):
    rows = graded[0]
    assert rows["edited_test"]["test_add"] == "0"  # the student's fake pass line was not run
    assert rows["deleted_test"]["test_clip"] == "2"  # the deleted test was re-inserted and run


@pytest.mark.parametrize("name, finding", [("redefines_check", "defines its own 'check_add'"),
                                           ("patches_checks", "changes toy_checks.check_add"),
                                           ("patches_builtins", "imports builtins")])
def test_tampering_gets_no_credit_and_names_the_line(graded, name, finding):
    row = graded[0][name]
    assert row["status"] == "tampering" and row["total"] == "0"
    assert finding in row["notes"] and "cell 3, line" in row["notes"]


def test_patches_the_scan_misses_are_undone_by_the_guard(graded):
    row = graded[0]["patches_via_alias"]
    assert row["status"] == "graded" and row["test_add"] == "0"


def test_submissions_are_never_modified(graded):
    _, root, _, before = graded
    assert digests(root / "submitted") == before


def test_feedback_file_per_student(graded):
    folder = graded[2].parent / "grades_feedback"
    assert sorted(p.stem for p in folder.glob("*.md")) == sorted(CRAFTED)
    text = (folder / "correct.md").read_text()
    assert "✓ add: 3/3 checks passed" in text and "Because `len(xs)` is zero" in text
    assert "Traceback" not in (folder / "partly_wrong.md").read_text()


def test_rerun_gives_the_same_gradebook_and_keeps_hand_graded_points(graded, tmp_path):
    rows, root, out, _ = graded
    names = ["correct", "deleted_answer"]
    subset = tmp_path / "subset"
    subset.mkdir()
    for name in names:
        shutil.copy(root / "submitted" / f"{name}.ipynb", subset)
    again = tmp_path / "grades.csv"
    assert grade([subset], again, "--jobs", "1") == 0
    assert read_rows(again) == {name: rows[name] for name in names}
    text = again.read_text().replace("correct,1,2,2,,5,6", "correct,1,2,2,1,5,6")  # the instructor grades by hand
    again.write_text(text)
    assert grade([subset], again, "--jobs", "2") == 0
    assert (read_rows(again)["correct"]["explain"], read_rows(again)["correct"]["total"]) == ("1", "6")


def test_refuses_to_overwrite_a_file_that_is_not_a_gradebook(tmp_path, capsys):
    out = tmp_path / "notes.csv"
    out.write_text("my,own\nnotes,here\n")
    write_all(tmp_path / "s", ["empty"])
    assert grade([tmp_path / "s"], out) == 2
    assert "is not a gmg-teach gradebook" in capsys.readouterr().err
    assert out.read_text() == "my,own\nnotes,here\n"


def test_refuses_to_overwrite_a_hand_edited_feedback_file(tmp_path):
    path = tmp_path / "alice.md"
    path.write_text("Dear Alice, well done.\n")
    with pytest.raises(ValueError, match="edited by hand"):
        check_feedback_writable([path])


def test_missing_submission_and_assignment_are_one_line_errors(tmp_path, capsys):
    assert grade([tmp_path / "nobody.ipynb"], tmp_path / "g.csv") == 2
    assert "cannot find the submission" in capsys.readouterr().err
    write_all(tmp_path / "s", ["empty"])
    assert main(["grade", str(tmp_path / "s"), "--assignment", "nope", "--out", str(tmp_path / "g.csv"),
                 "--solutions", str(FIXTURES / "solutions")]) == 2
    assert "cannot find the solution notebook" in capsys.readouterr().err


def test_student_names(tmp_path):
    assert student_name(tmp_path / "alice.ipynb", "toy") == "alice"
    assert student_name(tmp_path / "bob" / "toy.ipynb", "toy") == "bob"
    assert student_name(tmp_path / "carol" / "toy" / "toy.ipynb", "toy") == "carol"


def test_two_files_for_one_student_is_an_error(tmp_path, capsys):
    write_all(tmp_path / "alice", ["empty"])
    (tmp_path / "alice" / "empty.ipynb").rename(tmp_path / "alice" / "toy.ipynb")
    (tmp_path / "alice.ipynb").write_text("")
    assert grade([tmp_path / "alice", tmp_path / "alice.ipynb"], tmp_path / "g.csv") == 2
    assert "two submissions belong to student 'alice'" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------------------
# The tampering scan on its own (no kernels)
# ---------------------------------------------------------------------------------------------------------------
INSTRUCTOR_IMPORTS = {"np": ("numpy", None), "check_add": ("toy_checks", "check_add")}


@pytest.mark.parametrize("source", [
    "%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt\nplt.rcParams['figure.dpi'] = 80",
    "from toy_checks import check_add\ncheck_add(add)",
    "class Agent:\n    def __init__(self):\n        self.q = {}\nagent = Agent()\nagent.epsilon = 0.1",
    "def add(a, b):\n    total = a + b\n    return total",
])
def test_ordinary_student_code_is_not_tampering(source):
    assert scan_for_tampering([("cell 1", source)], INSTRUCTOR_IMPORTS) == []


@pytest.mark.parametrize("source, finding", [
    ("check_add = lambda f: None", "rebinds 'check_add'"),
    ("def print(*a):\n    pass", "defines its own 'print'"),
    ("AssertionError = Exception", "rebinds 'AssertionError'"),
    ("from mymodule import check_add", "imports something else as 'check_add'"),
    ("import numpy\nnumpy.allclose = lambda *a, **k: True", "changes numpy.allclose"),
    ("import sys\nsys.modules['toy_checks'] = None", "reaches into sys.modules"),
    ("exec('check_add = print')", "calls exec()"),
    ("get_ipython().events.register('pre_run_cell', print)", "get_ipython()"),
    ("from unittest import mock", "imports unittest"),
    ("import toy_checks\nsetattr(toy_checks, 'check_add', print)", "calls setattr()"),
])
def test_tampering_patterns_are_found(source, finding):
    findings = scan_for_tampering([("cell 4", source)], INSTRUCTOR_IMPORTS)
    assert findings and finding in findings[0] and findings[0].startswith("cell 4, line")


# ---------------------------------------------------------------------------------------------------------------
# feedback.report: the protocol the exercise checks use
# ---------------------------------------------------------------------------------------------------------------
def test_report_prints_one_line_when_every_check_passes(capsys):
    with report("q_update") as r:
        for _ in range(6):
            r.check(True, "never shown")
    assert capsys.readouterr().out == "✓ q_update: 6/6 checks passed\n"


def test_report_fails_with_the_input_the_expected_value_and_what_was_returned():
    with pytest.raises(CheckFailed) as failure:
        with report("add") as r:
            r.equal(3, 3, given="a=1, b=2")
            r.equal(-1, 1, given="a=0, b=1")
    message = str(failure.value)
    assert message == "add: 1/2 checks passed\n  - With a=0, b=1: expected 1, but your code returned -1."
    assert isinstance(failure.value, AssertionError)


def test_report_says_when_the_stub_is_untouched():
    def stub(*args):
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match="you have not written this yet"):
        with report("q_update") as r:
            r.equal(stub(1), 2, given="1")


def test_report_turns_a_crash_into_one_line_without_its_traceback():
    import numpy as np

    with pytest.raises(CheckFailed, match=r"^mean: your code raised ValueError: .*broadcast") as failure:
        with report("mean") as r:
            r.equal(np.ones(2) + np.ones(3), 0.0, given="two arrays")
    assert failure.value.__cause__ is None and failure.value.__suppress_context__
    assert failure.value._render_traceback_() == [f"✗ {failure.value}"]


def test_report_equal_compares_numbers_and_arrays_and_is_not_fooled_by_eq():
    import numpy as np

    class AlwaysEqual:
        def __eq__(self, other):
            return True

    r = report("x").__enter__()
    assert r.equal(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]), given="")
    assert not r.equal(np.array([1.0, 2.0]), np.array([[1.0, 2.0]]), given="")
    assert not r.equal(AlwaysEqual(), 3, given="") and not r.equal(AlwaysEqual(), "up", given="")
    assert r.equal("up", "up", given="") and not r.equal(1, True, given="")


def test_report_silences_warnings_so_nbgrader_sees_no_stderr(capsys):
    import warnings

    with report("w") as r:
        warnings.warn("noisy", RuntimeWarning)
        r.check(True, "")
    assert capsys.readouterr().err == ""


def test_report_without_checks_is_a_bug_in_the_check():
    with pytest.raises(RuntimeError, match="ran no sub-checks"):
        with report("empty"):
            pass


# ---------------------------------------------------------------------------------------------------------------
# Real nbgrader, if installed (requirements-instructor.txt)
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Object of type")  # nbgrader's own SQLAlchemy session warnings
def test_real_nbgrader_autogrades_the_toy_assignment(tmp_path, kernel_path, monkeypatch):
    pytest.importorskip("nbgrader")
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    from gmg_teach.grading.build import build_exercises

    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))  # alembic
    course = tmp_path / "course"
    (course / "source" / "toy").mkdir(parents=True)
    shutil.copy(FIXTURES / "solutions" / "toy.ipynb", course / "source" / "toy")
    build_exercises(FIXTURES / "solutions", tmp_path / "exercises")
    students = {"sol": FIXTURES / "solutions" / "toy.ipynb", "stub": tmp_path / "exercises" / "toy.ipynb"}
    for student, notebook in students.items():
        (course / "submitted" / student / "toy").mkdir(parents=True)
        shutil.copy(notebook, course / "submitted" / student / "toy" / "toy.ipynb")
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.db_assignments = [dict(name="toy")]
    config.CourseDirectory.db_students = [dict(id=student) for student in students]
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    assert api.generate_assignment("toy", force=True)["success"]
    for student in students:
        assert api.autograde("toy", student, force=True)["success"]
    # our exercise is exactly what nbgrader itself releases, apart from our "generated" mark
    released = nbformat.read(course / "release" / "toy" / "toy.ipynb", as_version=4)
    ours = nbformat.read(tmp_path / "exercises" / "toy.ipynb", as_version=4)
    ours.metadata.pop("gmg_teach")
    assert released == ours
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {student: gradebook.find_submission("toy", student).score for student in students}
    assert scores == {"sol": 5.0, "stub": 0.0}  # the written answer (1 point) waits for a human


def test_an_assignment_whose_checks_are_imported_by_an_editable_cell_is_refused(tmp_path):
    import nbformat

    from gmg_teach.grading.build import BuildError
    from gmg_teach.grading.grader import load_assignment

    source = Path(__file__).parent / "fixtures" / "grading" / "solutions" / "toy.ipynb"
    nb = nbformat.read(source, as_version=4)
    del nb.cells[1].metadata["nbgrader"]  # the cell importing the checks becomes one the student may edit
    nbformat.write(nb, tmp_path / "toy.ipynb")
    with pytest.raises(BuildError, match="calls check_add, but no read-only cell imports it"):
        load_assignment(tmp_path, "toy")
    assert load_assignment(source.parent, "toy").tests  # the locked original loads
