"""Building exercises from solutions: nbgrader's preprocessors, expected values, never overwriting anyone's work.

Fast tests replace the kernel run that computes expected values (``build.compute_expected``) by a stand-in; the
``slow`` ones run it for real on the toy assignment.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from gmg_teach.cli import main
from gmg_teach.grading import build
from gmg_teach.grading.build import BuildError, build_exercises, check_in_sync, student_version

REPO = Path(__file__).resolve().parents[1]
TOY = Path(__file__).parent / "fixtures" / "grading" / "solutions"
TOY_EXERCISES = TOY.parent / "exercises"


@pytest.fixture
def no_kernel(monkeypatch):
    """compute_expected without a kernel: the expected values of the committed toy exercise, for any solution."""
    calls = []

    def fake(path, where, timeout=600):
        calls.append(path)
        data = json.loads((TOY_EXERCISES / "toy.expected.json").read_text())
        return build._render_expected(Path(path).stem, where, build.solution_sha256(path), data["checks"])

    monkeypatch.setattr(build, "compute_expected", fake)
    return calls


@pytest.fixture
def built(tmp_path, no_kernel):
    lines = build_exercises(TOY, tmp_path / "exercises")
    return tmp_path / "exercises" / "toy.ipynb", lines


def sources(path: Path) -> dict[str, str]:
    nb = nbformat.read(path, as_version=4)
    return {cell.metadata.get("nbgrader", {}).get("grade_id", f"#{i}"): cell.source for i, cell in enumerate(nb.cells)}


def test_the_committed_toy_exercise_is_what_build_writes(no_kernel):
    assert check_in_sync(TOY, TOY_EXERCISES) == []


def test_solutions_become_stubs_and_hidden_tests_disappear(built):
    cells = sources(built[0])
    assert cells["add"] == "def add(a, b):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert cells["explain"] == "YOUR ANSWER HERE"
    assert cells["test_mean"].startswith("visible_check(\"mean\"")
    text = json.dumps(cells)
    assert "SOLUTION" not in text and "HIDDEN" not in text and "reference_" not in text and "hidden_check(" not in text


def test_nbgrader_metadata_is_kept_and_cells_are_locked(built):
    nb = nbformat.read(built[0], as_version=4)
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_mean")
    assert test.metadata.nbgrader.points == 2 and test.metadata.nbgrader.schema_version == 3
    assert test.metadata.editable is False and "checksum" in test.metadata.nbgrader
    assert all(not c.get("outputs") for c in nb.cells)


def test_rebuilding_is_byte_identical_and_leaves_the_files_alone(built, no_kernel):
    path, lines = built
    expected = path.with_name("toy.expected.json")
    before = path.read_bytes(), expected.read_bytes()
    assert lines == [f"wrote {path}", f"wrote {expected}"]
    assert build_exercises(TOY, path.parent) == [f"up to date {path}", f"up to date {expected}"]
    assert (path.read_bytes(), expected.read_bytes()) == before
    assert len(no_kernel) == 1  # the unchanged solution was not run again
    assert check_in_sync(TOY, path.parent) == []


def test_a_changed_solution_regenerates_the_exercise_and_its_expected_values(built, tmp_path):
    solutions = tmp_path / "solutions"
    shutil.copytree(TOY, solutions)
    nb = nbformat.read(solutions / "toy.ipynb", as_version=4)
    nb.cells[0].source += "\nNow with a new sentence."
    nbformat.write(nb, solutions / "toy.ipynb")
    problems = check_in_sync(solutions, built[0].parent)
    assert any("toy.ipynb differs" in p for p in problems)
    assert any("computed from another version of its solution" in p for p in problems)
    build_exercises(solutions, built[0].parent)
    assert "new sentence" in built[0].read_text() and check_in_sync(solutions, built[0].parent) == []


def test_a_hand_edited_exercise_or_expected_file_is_never_overwritten_without_force(built):
    path = built[0]
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = "My own notes"
    nbformat.write(nb, path)
    edited = path.read_bytes()
    with pytest.raises(BuildError, match="edited by hand since it was generated"):
        build_exercises(TOY, path.parent)
    assert path.read_bytes() == edited
    build_exercises(TOY, path.parent, force=True)
    assert path.read_bytes() != edited and check_in_sync(TOY, path.parent) == []
    expected = path.with_name("toy.expected.json")
    expected.write_text(expected.read_text().replace('"a=1, b=2": 3', '"a=1, b=2": 4'))
    assert build._why_not_ours(expected) is not None


def test_a_notebook_not_made_by_build_is_never_overwritten(tmp_path, capsys, no_kernel):
    (tmp_path / "exercises").mkdir()
    mine = tmp_path / "exercises" / "toy.ipynb"
    mine.write_text("a student's work, not even JSON")
    assert main(["build-exercises", "--solutions", str(TOY), "--exercises", str(tmp_path / "exercises")]) == 2
    assert "not a notebook generated by gmg-teach" in capsys.readouterr().err
    assert mine.read_text() == "a student's work, not even JSON"


def test_check_reports_missing_and_orphaned_exercises(tmp_path, capsys, no_kernel):
    exercises = tmp_path / "exercises"
    assert main(["build-exercises", "--solutions", str(TOY), "--exercises", str(exercises), "--check"]) == 1
    assert "toy.ipynb is missing" in capsys.readouterr().out
    build_exercises(TOY, exercises)
    shutil.copy(exercises / "toy.ipynb", exercises / "old.ipynb")
    assert any("old.ipynb has no solution notebook" in p for p in check_in_sync(TOY, exercises))


def test_check_outside_a_course_folder_fails_clearly(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["build-exercises", "--check"]) == 2
    assert "cannot find the solutions folder solutions: run this in the course folder" in capsys.readouterr().err
    (tmp_path / "solutions").mkdir()
    assert main(["build-exercises", "--check"]) == 2
    assert "holds no solution notebooks" in capsys.readouterr().err


def cell(source, **nbgrader):
    meta = {"grade": False, "solution": False, "locked": False, "schema_version": 3, "task": False, **nbgrader}
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


@pytest.mark.parametrize("cells, message", [
    ([cell("### BEGIN SOLUTION\nx = 1", grade_id="a", solution=True)], "no end solution statement"),
    ([cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", grade_id="a")], "solution region"),
    ([cell("### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS", grade_id="a", locked=True)], "Hidden test region"),
    ([cell("x = 1", grade_id="a", solution=True), cell("y = 1", grade_id="a", solution=True)], "used twice"),
    ([cell("assert True", grade_id="t", grade=True, locked=True)], "needs a number of points"),
    ([cell("x = 1", solution=True)], "without a grade_id"),
])
def test_malformed_solutions_are_refused_with_the_file_named(cells, message):
    with pytest.raises(BuildError, match=f"solutions/bad.ipynb.*{message}"):
        student_version(nbformat.v4.new_notebook(cells=cells), "solutions/bad.ipynb")


def test_a_damaged_solution_notebook_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "bad.ipynb").write_text("{not json")
    assert main(["build-exercises", "--solutions", str(tmp_path / "solutions"),
                 "--exercises", str(tmp_path / "exercises")]) == 2
    assert "bad.ipynb is not a valid notebook file" in capsys.readouterr().err


def test_hidden_cases_may_not_repeat_visible_ones():
    recorded = {"visible": {"add": [["a=1, b=2", "d1"]]}, "hidden": {"add": [["a=5, b=6", "d1"]]}}
    with pytest.raises(BuildError, match="same inputs as the visible case 'a=1, b=2'"):
        build._check_hidden_cases_are_new(recorded, "solutions/toy.ipynb")
    recorded["hidden"]["add"] = [["a=1, b=2", "d2"]]
    with pytest.raises(BuildError, match="is also a visible case"):
        build._check_hidden_cases_are_new(recorded, "solutions/toy.ipynb")


def _normalised(code: str) -> str:
    """Code without comments and whitespace: what a copy of it would still contain."""
    return re.sub(r"\s+", "", re.sub(r"#[^\n]*", "", code))


def _regions(nb, begin: str, end: str) -> list[str]:
    found = []
    for c in nb.cells:
        if c.cell_type == "code":
            found += re.findall(rf"### {begin}\n(.*?)### {end}", c.source, flags=re.S)
            if c.metadata.get("nbgrader", {}).get("solution") and "### BEGIN SOLUTION" not in c.source:
                found.append(c.source)
    return [region for region in found if len(_normalised(region)) >= 12]


@pytest.mark.parametrize("solution", sorted([*REPO.glob("solutions/*.ipynb"), *TOY.glob("*.ipynb")]),
                         ids=lambda p: p.stem)
def test_no_solution_or_hidden_test_is_in_the_package_or_the_exercises(solution):
    """What students get (gmg_teach/ and exercises/) holds no reference answer and no hidden test."""
    nb = nbformat.read(solution, as_version=4)
    handed_out = [*REPO.glob("gmg_teach/**/*.py"), *REPO.glob("exercises/*"), *TOY_EXERCISES.glob("*")]
    text = "".join(_normalised(p.read_text(encoding="utf-8", errors="replace")) for p in handed_out if p.is_file())
    text = text.replace("\\n", "")  # notebooks store sources as JSON strings
    for region in _regions(nb, "BEGIN SOLUTION", "END SOLUTION") + _regions(nb, "BEGIN HIDDEN TESTS",
                                                                          "END HIDDEN TESTS"):
        assert _normalised(region) not in text, region


@pytest.mark.slow
def test_expected_values_are_computed_from_the_solution_and_reproducible(tmp_path):
    lines = build_exercises(TOY, tmp_path)
    assert (tmp_path / "toy.expected.json").read_bytes() == (TOY_EXERCISES / "toy.expected.json").read_bytes(), lines
    assert check_in_sync(TOY, TOY_EXERCISES, recompute=True) == []


@pytest.mark.slow
def test_a_solution_failing_its_own_hidden_test_is_refused(tmp_path):
    (tmp_path / "solutions").mkdir()
    nb = nbformat.read(TOY / "toy.ipynb", as_version=4)
    for c in nb.cells:
        c.source = c.source.replace("return min(max(x, 0), 1)\n### END HIDDEN", "return 2\n### END HIDDEN")
        c.source = c.source.replace("def reference_clip(x):\n    return min(max(x, 0), 1)",
                                    "def reference_clip(x):\n    return x")
    nbformat.write(nb, tmp_path / "solutions" / "toy.ipynb")
    with pytest.raises(BuildError, match="test_clip.*CheckFailed: clip: 1/3 checks passed"):
        build_exercises(tmp_path / "solutions", tmp_path / "exercises")
