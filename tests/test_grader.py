"""The grader (``gmg-teach grade``) on a crafted class of the toy assignment, and its parts without kernels.

The crafted class is generated from the toy's solution and exercise (tests/fixtures/grading/crafted.py), the same
generator benchmarks/bench_grader.py runs on real assignments. One module-scoped run grades it with ``--jobs 2``
(kernel tests are marked ``slow``); each property then reads that run.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from gmg_teach.cli import main
from gmg_teach.grading import isolation
from gmg_teach.grading.gradebook import check_feedback_writable
from gmg_teach.grading.grader import student_name
from gmg_teach.grading.review import review

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
SOLUTIONS, EXERCISES = FIXTURES / "solutions", FIXTURES / "exercises"
sys.path.insert(0, str(FIXTURES))
from crafted import crafted_class, misgrades, read_source, write_class  # noqa: E402

TIMEOUT = "5"
SMALL = ["correct", "untouched", "honest_imports", "partial_1", "raises_in_1", "hangs_in_1", "lying_eq_in_2",
         "deleted_answer_2", "moved_answer_1", "decoy_before_1", "duplicate_after_1", "changed_flags_1",
         "a_os_exit_in_1", "a_flood", "a_fork_bomb", "a_huge_allocation", "a_imports_references", "a_reads_solutions",
         "a_writes_package", "a_rewrites_classmates", "a_redefines_check", "a_fake_test_cell", "invalid_json",
         "empty", "wrong_assignment"]


def grade(submissions, out, *extra) -> int:
    return main(["grade", *map(str, submissions), "--assignment", "toy", "--out", str(out), "--solutions",
                 str(SOLUTIONS), "--exercises", str(EXERCISES), "--timeout", TIMEOUT, *extra])


def read_rows(out: Path) -> dict[str, dict[str, str]]:
    with out.open(newline="", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def digests(paths) -> dict[str, str]:
    files = [p for top in paths for p in ([top] if top.is_file() else sorted(top.rglob("*"))) if p.is_file()
             and "__pycache__" not in p.parts]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


CRAFTED = crafted_class(SOLUTIONS / "toy.ipynb", EXERCISES / "toy.ipynb")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the small crafted class once (jobs 2); (rows, root, gradebook, checksums before, environment before)."""
    root = tmp_path_factory.mktemp("class")
    write_class(root / "submitted", {name: CRAFTED[name] for name in SMALL})
    watched = [root / "submitted", isolation.package_dir(), SOLUTIONS, EXERCISES]
    before, environment = digests(watched), isolation.fingerprint(isolation.environment_paths())
    out = root / "grades.csv"
    assert grade([root / "submitted"], out, "--jobs", "2") == 0
    return read_rows(out), root, out, (watched, before), environment


@pytest.mark.slow
def test_the_crafted_class_has_no_misgrade(graded):
    rows = graded[0]
    assert misgrades(read_source(SOLUTIONS / "toy.ipynb"), {n: CRAFTED[n] for n in SMALL}, rows) == []


@pytest.mark.slow
def test_no_file_outside_the_graders_output_changes(graded):
    (watched, before), environment = graded[3], graded[4]
    assert digests(watched) == before
    assert isolation.changed_files(environment, isolation.fingerprint(isolation.environment_paths())) == []


@pytest.mark.slow
def test_hidden_tests_are_reinserted_and_feedback_names_the_input(graded):
    folder = graded[2].parent / "grades_feedback"
    assert "✓ add: 3/3 checks passed" in (folder / "correct.md").read_text()
    liar = (folder / "lying_eq_in_2.md").read_text()
    assert "With xs=[1, 2, 3]: expected 2, but your code returned a AlwaysEqual (not plain data" in liar
    assert "Traceback" not in liar


@pytest.mark.slow
def test_a_hang_costs_only_its_exercise_and_says_so(graded):
    row = graded[0]["hangs_in_1"]
    assert row["status"] == "timeout" and "time limit of 5 s" in row["notes"] and "restarted" in row["notes"]
    assert (row["test_add"], row["test_mean"], row["test_clip"]) == ("0", "2", "2")


@pytest.mark.slow
def test_tampering_zeroes_only_a_redefined_check_and_reviews_the_rest(graded):
    rows = graded[0]
    assert rows["a_redefines_check"]["status"] == "tampering"
    assert "rebinds 'visible_check'" in rows["a_redefines_check"]["notes"]
    assert rows["a_reads_solutions"]["status"] == "review" and "calls exec()" in rows["a_reads_solutions"]["notes"]
    assert rows["honest_imports"]["status"] == "graded" and rows["honest_imports"]["notes"] == ""


@pytest.mark.slow
def test_decoys_and_copies_are_noted_not_graded(graded):
    rows = graded[0]
    assert "appears 2 times" in rows["decoy_before_1"]["notes"] and rows["decoy_before_1"]["total"] == "5"
    assert "metadata of answer 'add'" in rows["changed_flags_1"]["notes"]
    assert rows["wrong_assignment"]["status"] == "wrong assignment: this is a notebook of another_assignment, not toy"


@pytest.mark.slow
def test_rerun_is_byte_identical_jobs_1_equals_jobs_2_and_hand_grades_are_kept(graded, tmp_path):
    rows, root, out, _, _ = graded
    again = tmp_path / "grades.csv"
    assert grade([root / "submitted"], again, "--jobs", "1") == 0
    assert again.read_bytes() == out.read_bytes()
    text = again.read_text().replace("correct,1,2,2,,5,6", "correct,1,2,2,1,5,6")  # the instructor grades by hand
    again.write_text(text)
    subset = tmp_path / "subset"
    subset.mkdir()
    shutil.copy(root / "submitted" / "correct.ipynb", subset)
    assert grade([subset], again) == 0
    assert (read_rows(again)["correct"]["explain"], read_rows(again)["correct"]["total"]) == ("1", "6")


@pytest.mark.slow
def test_the_sandbox_hides_the_class_and_the_network(tmp_path):
    if isolation.sandbox_mode():
        pytest.skip(isolation.sandbox_mode())
    from gmg_teach.grading.run import run_cells

    code = ("import os, socket\nprint(sorted(os.listdir('/')), os.path.exists(%r),\n"
            "      len([p for p in os.listdir('/proc') if p.isdigit()]) < 10)\n"
            "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=1)\nexcept OSError as err:\n"
            "    print('no network:', err.errno)") % str(SOLUTIONS)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    (tmp_path / "box").mkdir()
    log = run_cells(nb, isolation.Sandbox(tmp_path / "box", {}, isolation.Limits()), 30, set())
    text = log.cells[0].text
    assert log.cells[0].status == "ok" and "False True" in text and "no network" in text, text


# ---------------------------------------------------------------------------------------------------------------
# Without kernels
# ---------------------------------------------------------------------------------------------------------------
def test_refuses_to_overwrite_a_file_that_is_not_a_gradebook(tmp_path, capsys):
    out = tmp_path / "notes.csv"
    out.write_text("my,own\nnotes,here\n")
    write_class(tmp_path / "s", {"empty": CRAFTED["empty"]})
    assert grade([tmp_path / "s"], out) == 2
    assert "is not a gmg-teach gradebook" in capsys.readouterr().err
    assert out.read_text() == "my,own\nnotes,here\n"


def test_refuses_to_overwrite_a_hand_edited_feedback_file(tmp_path):
    path = tmp_path / "alice.md"
    path.write_text("Dear Alice, well done.\n")
    with pytest.raises(ValueError, match="edited by hand"):
        check_feedback_writable([path])


def test_missing_submission_assignment_and_expected_values_are_one_line_errors(tmp_path, capsys):
    assert grade([tmp_path / "nobody.ipynb"], tmp_path / "g.csv") == 2
    assert "cannot find the submission" in capsys.readouterr().err
    write_class(tmp_path / "s", {"empty": CRAFTED["empty"]})
    assert main(["grade", str(tmp_path / "s"), "--assignment", "nope", "--out", str(tmp_path / "g.csv"),
                 "--solutions", str(SOLUTIONS)]) == 2
    assert "cannot find the solution notebook" in capsys.readouterr().err
    assert main(["grade", str(tmp_path / "s"), "--assignment", "toy", "--out", str(tmp_path / "g.csv"),
                 "--solutions", str(SOLUTIONS), "--exercises", str(tmp_path)]) == 2
    assert "run `gmg-teach build-exercises` first" in capsys.readouterr().err


def test_student_names(tmp_path):
    assert student_name(tmp_path / "alice.ipynb", "toy") == "alice"
    assert student_name(tmp_path / "bob" / "toy.ipynb", "toy") == "bob"
    assert student_name(tmp_path / "carol" / "toy" / "toy.ipynb", "toy") == "carol"


def test_two_files_for_one_student_is_an_error(tmp_path, capsys):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "toy.ipynb").write_text("")
    (tmp_path / "alice.ipynb").write_text("")
    assert grade([tmp_path / "alice", tmp_path / "alice.ipynb"], tmp_path / "g.csv") == 2
    assert "two submissions belong to student 'alice'" in capsys.readouterr().err


def test_the_crafted_class_is_big_enough_for_the_benchmark():
    assert len(CRAFTED) >= 40 and set(SMALL) <= set(CRAFTED)


PROTECTED = {"np": ("numpy", None), "visible_check": ("gmg_teach.grading.checks", "visible_check")}


@pytest.mark.parametrize("source", [
    "%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt\nplt.rcParams['figure.dpi'] = 80",
    "from IPython.display import display\nimport gc\nimport inspect\ngc.collect()\ninspect.signature(print)",
    "from gmg_teach.grading.checks import visible_check\nvisible_check('add', add, [])",
    "class Agent:\n    def __init__(self):\n        self.q = {}\nagent = Agent()\nagent.epsilon = 0.1",
])
def test_honest_code_is_neither_zeroed_nor_flagged(source):
    assert review([("cell 1", source)], PROTECTED) == ([], [])


@pytest.mark.parametrize("source, finding", [
    ("visible_check = lambda *a, **k: None", "rebinds 'visible_check'"),
    ("def visible_check(*a):\n    pass", "rebinds 'visible_check'"),
    ("from mymodule import visible_check", "rebinds 'visible_check'"),
])
def test_rebinding_what_the_tests_use_zeroes(source, finding):
    zero, _ = review([("cell 4", source)], PROTECTED)
    assert zero and finding in zero[0] and zero[0].startswith("cell 4, line")


@pytest.mark.parametrize("source, finding", [
    ("import sys\nsys.modules['x'] = None", "uses .modules"),
    ("exec('x = 1')", "calls exec()"),
    ("get_ipython().user_module", "get_ipython() beyond magics"),
    ("import threading\nthreading.Thread(target=print).start()", "imports threading"),
    ("import os\nos.chdir('fake')", "uses os.chdir"),
    ("import builtins", "imports builtins"),
    ("import os\nos.fork()", "uses os.fork"),
    ("import gc\ngc.get_referrers(print)", "uses gc.get_referrers"),
    ("open('/etc/passwd')", "outside its own folder"),
])
def test_suspicious_code_is_flagged_for_review(source, finding):
    zero, flags = review([("cell 4", source)], PROTECTED)
    assert not zero and any(finding in flag for flag in flags), flags


# The red team's submissions (tests/../redteam repro files), as review() sees them: setup imports are protected,
# names only the hidden tests define are the reference.
SETUP = {"np": ("numpy", None), "visible_check": ("gmg_teach.grading.checks", "visible_check"),
         "case": ("gmg_teach.grading.checks", "case"), "plain": ("gmg_teach.grading.compare", "plain")}
HIDDEN = {"reference_goal_posterior"}


def review_setup(source):
    return review([("cell 4", source)], SETUP, set(), HIDDEN)


@pytest.mark.parametrize("source", [
    'corridor = """\n#####\n#A.O#\n#####\n"""\ndef design_distinguishing_level():\n    return corridor',  # e02
    'OPTIONS = ["exit", "green", "exit and green tie", "nothing"]\npredicted_train_posterior = OPTIONS[2]',  # e03
    "def goal_posterior(log_likelihoods, prior):\n    names = []\n    for case in log_likelihoods:\n"
    "        names.append(case)\n    return names",  # e06
    "def f(values):\n    visible_check = 1\n    np = values\n    return np, visible_check",  # locals only
    "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.set_title('x')\nclass A:\n    pass\n"
    "a = A()\na.name = 'x'\nsetattr(a, 'size', 3)",
    "def reference_goal_posterior(x):\n    return x\nprint(reference_goal_posterior(1))",  # their own helper
])
def test_honest_names_and_locals_are_not_tampering(source):
    zero, _ = review_setup(source)
    assert zero == []


@pytest.mark.parametrize("source, finding", [
    ("def goal_posterior(l, p):\n    from gmg_teach.grading import compare\n    compare._same_plain = lambda *a: True\n"
     "    return {}", "changes compare._same_plain"),  # c01
    ("def _peek():\n    try:\n        raise ValueError\n    except ValueError as e:\n"
     "        f = e.__traceback__.tb_frame\n    loc = getattr(f, 'f_' + 'locals')\n"
     "    return getattr(f, 'f_' + 'back')",
     "reads the grader's frames"),  # c02
    ("import threading, time\nfrom gmg_teach.grading import compare as _c\ndef _keep():\n    while True:\n"
     "        _c._same_plain = lambda *a: True\nthreading.Thread(target=_keep, daemon=True).start()",
     "changes _c._same_plain"),  # c03
    ("import sys\ngetattr(sys, '_gmg_' + 'builtins')['abs'] = lambda x: 0", "the grader's own state"),  # c04
    ("_h = [np]\n_h[0].allclose = lambda *a, **k: True", "changes _h.allclose"),  # c05
    ("_g = get_ipython\n_g().input_transformers_post.append(len)", "get_ipython as a value"),  # c06
    ("def goal_posterior(l, p):\n    try:\n        return reference_goal_posterior(l, p)\n    except NameError:\n"
     "        return 0.0", "only the hidden tests define"),  # c07
    ("get_ipython().events.register('pre_run_cell', print)", "hooks into how IPython runs"),
    ("import numpy\nnumpy.allclose = lambda *a, **k: True", "changes numpy.allclose"),
    ("def f():\n    global visible_check\n    visible_check = print", "rebinds 'visible_check'"),
    ("globals()['visible_check'] = print", "rebinds 'visible_check'"),
    ("def f(m):\n    setattr(m, name, 1)", "setattr() on an imported object or with a computed name"),
    ("x = getattr(np, 'all' + 'close')", "getattr() with a name built at run time"),
    ("plain.__code__ = print.__code__", "changes plain.__code__"),
])
def test_red_team_cheats_are_tampering(source, finding):
    zero, _ = review_setup(source)
    assert any(finding in line for line in zero) and zero[0].startswith("cell 4, line"), zero


@pytest.mark.slow
def test_red_team_repros_end_to_end(tmp_path):
    """e02 (an honest helper named like a test cell's variable) keeps every point; c01 (patching compare inside an
    answer) is zeroed as tampering."""
    root = Path(__file__).resolve().parents[1]
    solution = root / "solutions" / "03_unidentifiability.ipynb"
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    for name, answer, edit in [
        ("e02", "design_distinguishing_level", lambda s: 'corridor = "a helper of mine"\nOPTIONS = [corridor]\n' + s),
        ("c01", "goal_posterior", lambda s: "def goal_posterior(log_likelihoods, prior):\n"
         "    from gmg_teach.grading import compare\n    compare._same_plain = lambda *a: True\n"
         "    return {k: 0.0 for k in log_likelihoods}\n"),
    ]:
        nb = nbformat.read(solution, as_version=4)
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == answer)
        cell.source = edit(cell.source)
        nbformat.write(nb, submitted / f"{name}.ipynb")
    out = tmp_path / "grades.csv"
    assert main(["grade", str(submitted), "--assignment", "03_unidentifiability", "--out", str(out), "--solutions",
                 str(root / "solutions"), "--exercises", str(root / "exercises")]) == 0
    rows = read_rows(out)
    assert rows["e02"]["status"] == "graded" and float(rows["e02"]["total"]) == 11, rows["e02"]
    assert rows["c01"]["status"] == "tampering" and float(rows["c01"]["total"]) == 0, rows["c01"]
    assert "changes compare._same_plain" in rows["c01"]["notes"]
