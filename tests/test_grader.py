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

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
SOLUTIONS, EXERCISES = FIXTURES / "solutions", FIXTURES / "exercises"
sys.path.insert(0, str(FIXTURES))
from crafted import crafted_class, misgrades, read_source, write_class  # noqa: E402

TIMEOUT = "10"
CRAFTED = crafted_class(SOLUTIONS / "toy.ipynb", EXERCISES / "toy.ipynb")
CRAFTED_NAMES = sorted(CRAFTED)
SMALL = ["correct", "untouched", "honest_imports", "partial_1", "raises_in_1", "hangs_in_1", "lying_eq_in_2",
         "deleted_answer_2", "moved_answer_1", "decoy_before_1", "duplicate_after_1", "changed_flags_1",
         "a_os_exit_in_1", "a_flood", "a_fork_bomb", "a_huge_allocation", "a_imports_references", "a_reads_solutions",
         "a_writes_package", "a_rewrites_classmates", "a_redefines_check", "a_fake_test_cell", "invalid_json",
         "empty", "wrong_assignment"]
SMALL += [name for name in CRAFTED_NAMES if name.startswith(("a_", "honest_")) and name not in SMALL]


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
    assert row["status"] == "timeout" and "time limit of 10 s" in row["notes"] and "restarted" in row["notes"]
    assert (row["test_add"], row["test_mean"], row["test_clip"]) == ("0", "2", "2")


@pytest.mark.slow
def test_an_attack_scores_only_what_its_functions_return(graded):
    """Every attack in crafted.ATTACKS runs on an untouched exercise: its functions return nothing, so it scores
    zero, whatever it does to the kernel (the tests never run there). Honest habits keep full marks."""
    rows = graded[0]
    attacks = [name for name in SMALL if name.startswith("a_") and CRAFTED[name].lost == {"add", "mean", "clip"}]
    assert len(attacks) >= 18
    assert {name: rows[name]["total"] for name in attacks} == {name: "0" for name in attacks}
    honest = [name for name in SMALL if name.startswith("honest_")]
    assert {name: rows[name]["total"] for name in honest} == {name: "5" for name in honest}
    assert rows["honest_latin1"]["notes"] == "the file is not UTF-8: it was read as Latin-1"


@pytest.mark.slow
def test_text_that_cannot_be_encoded_reaches_the_gradebook_and_feedback(graded):
    folder = graded[2].parent / "grades_feedback"
    text = (folder / "honest_lone_surrogate.md").read_text(encoding="utf-8")
    assert "A lone surrogate: ?, and ?." in text  # control characters and surrogates: "?"


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
    log = run_cells(nb, isolation.Sandbox(tmp_path / "box", isolation.Limits()), 30, {})
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


@pytest.mark.slow
def test_red_team_repros_end_to_end(tmp_path):
    """e02 (an honest helper named like a test cell's variable) keeps every point; c01 (patching compare inside an
    answer, returning zeros) earns what its zeros earn: nothing for goal_posterior, everything else kept."""
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
    assert rows["c01"]["status"] == "graded" and rows["c01"]["test_goal_posterior"] == "0", rows["c01"]
    assert float(rows["c01"]["total"]) == 11 - 3, rows["c01"]


# ---------------------------------------------------------------------------------------------------------------
# The kernel only answers questions (remote.py), without kernels: a fake kernel answers with anything at all
# ---------------------------------------------------------------------------------------------------------------
def _reply(payload) -> dict:
    import base64
    import json

    text = base64.b64encode(json.dumps(payload).encode()).decode()
    return {"user_expressions": {"r": {"status": "ok", "data": {"text/plain": repr(text)}}}}


@pytest.mark.parametrize("forged", [
    {"results": [{"array": [1], "dtype": "|O", "shape": [1]}], "generators": []},  # an object array
    {"results": [{"array": [], "dtype": "<f8", "shape": [10**9, 10**9]}], "generators": []},  # a huge shape
    {"results": [{"class": "AlwaysEqual"}], "generators": []},  # an unknown tag
    {"results": [{"dict": [[[1], 2]]}], "generators": []},  # an unhashable key
    {"results": [{"tuple": [{"float": "1e9999; import os"}]}], "generators": []},
    {"results": [True, True], "generators": []},  # more results than calls
    {"results": [True], "generators": [{"bit_generator": "PCG64", "state": "x"}]},  # a generator nobody sent
    {"kind": "value", "value": True},  # an answer to another question
])
def test_a_forged_answer_is_at_worst_a_crash_of_the_students_code(forged):
    from gmg_teach.grading.remote import KernelAnswerError, StudentFunction, read_reply

    function = StudentFunction("add", lambda asked: read_reply(_reply(forged)))
    with pytest.raises((KernelAnswerError, ValueError, TypeError)):
        function(1, 2)


def test_not_protocol_text_is_refused():
    from gmg_teach.grading.remote import KernelAnswerError, read_reply

    for text in ["True", "'not base64!'", "'" + "A" * 10 + "'", 7]:
        with pytest.raises(KernelAnswerError):
            read_reply({"user_expressions": {"r": {"status": "ok", "data": {"text/plain": text}}}})
    with pytest.raises(KernelAnswerError):
        read_reply({"user_expressions": {"r": {"status": "error", "ename": "X", "evalue": "y"}}})


def test_the_tests_namespace_sees_plain_data_and_the_real_notimplementederror():
    import numpy as np

    from gmg_teach.grading import remote
    from gmg_teach.grading.compare import same, show

    answers = {"add": {"kind": "function"}, "prediction": {"kind": "value", "value": "green"},
               "missing": {"kind": "missing"}}

    def ask(asked):
        if asked["op"] == "get":
            return answers[asked["name"]]
        args = asked["calls"][0][0]
        if args == (0,):
            return {"error": ["NotImplementedError", ""]}
        if args == (1,):
            return {"results": [{"opaque": "AlwaysEqual"}], "generators": []}
        rng = asked["calls"][0][0][1]
        rng.random()  # the kernel's copy advances: its state comes back
        return {"results": [{"array": [1.0, 2.0], "dtype": "<f8", "shape": [2]}],
                "generators": [rng.bit_generator.state]}

    ns = remote.StudentNamespace()
    ns.asker = ask
    ns["rng"] = np.random.default_rng(0)
    exec("got = add(2, rng)\nlied = add(1)\np = prediction\nn = len([1])\n"
         "try:\n    missing\nexcept NameError:\n    absent = True\n", ns)
    assert type(ns["got"]) is np.ndarray and ns["p"] == "green" and ns["n"] == 1 and ns["absent"]
    assert ns["rng"].bit_generator.state != np.random.default_rng(0).bit_generator.state
    assert not same(1, ns["lied"]) and "AlwaysEqual" in show(ns["lied"])
    with pytest.raises(NotImplementedError):
        exec("add(0)", ns)


def test_a_file_name_that_looks_like_a_formula_is_quoted_and_a_huge_file_refused(tmp_path):
    from gmg_teach.grading.gradebook import Result, gradebook_rows
    from gmg_teach.grading.grader import MAX_SUBMISSION, _load_submission

    class Toy:
        tests, manual, max_points = {"test_add": 1.0}, {}, 1.0

    rows = gradebook_rows([Result('=HYPERLINK("http://x";"see")', {"test_add": 1.0})], Toy, {})
    assert rows[0]["student"] == "'=HYPERLINK(\"http://x\";\"see\")"
    big = tmp_path / "big.ipynb"
    with big.open("wb") as f:
        f.truncate(MAX_SUBMISSION + 1)
    assert _load_submission(big)[1].startswith("too large")


def _threads() -> int:
    return int(next(line.split()[1] for line in Path("/proc/self/status").read_text().splitlines()
                    if line.startswith("Threads:")))


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="counts threads through /proc (Linux)")
def test_grading_leaves_no_threads_behind(tmp_path):
    """Red team F9: each submission's kernel client left a heartbeat and two zmq threads in the grading process, so a
    long class run grew until its address-space limit killed it with nothing written. Grading one student or four
    (in this process, --jobs 1) must end with the same number of threads."""
    counts = []
    for n in (1, 4):
        submitted = tmp_path / f"class{n}"
        write_class(submitted, {f"s{i}": CRAFTED["correct"] for i in range(n)})
        assert grade([submitted], tmp_path / f"grades{n}.csv", "--quiet") == 0
        counts.append(_threads())
    assert counts[1] <= counts[0], f"threads after grading 1 submission: {counts[0]}, after 4 more: {counts[1]}"
