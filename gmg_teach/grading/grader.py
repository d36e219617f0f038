"""Grade a class: every submission in its own sandboxed kernel with the instructor's tests; write a gradebook.

One submission (``grade_submission``):

1. **Read** it; an empty, damaged or foreign file gets a status saying so. A notebook of another assignment is
   named as such (``assignment.belongs_elsewhere``).
2. **Assemble** the notebook to run: the student's cells, the instructor's tests (hidden ones included) inserted
   after the real answer cells (``assignment.assemble``: moved, copied, decoy and deleted cells).
3. **Run** the student's cells (and the instructor's setup cells) in a sandbox (``isolation``: read-only system
   and environment, a private folder and /tmp, no network, no other processes, memory/process/file limits), cell
   by cell with a time limit per cell (``run``): a hang or a dead kernel costs that cell, the kernel is restarted
   and the rest still runs.
4. **Test** in the grader's process: the instructor's test cells (hidden ones included) never run in the kernel.
   Each runs here right after its answer cell, in a namespace where the student's names are stand-ins
   (``remote``): the kernel calls the student's functions and hands back their results as plain data, decoded
   strictly. Pass or fail, references and expected values never leave this process, so code in a submission can
   change its score only through what its functions return.
5. **Score**: a test cell earns its points if it ran without error (and its answer cell exists). Written answers
   are left blank for the instructor (zero if unanswered).

Around the class the grader fingerprints the package, the environment, the instructor's files and every
submission (``isolation.fingerprint``); a change means the isolation failed, and nothing is written.

The student's name is the submission's file name without ``.ipynb``; when that is the assignment name (the
``<student>/<assignment>.ipynb`` layout, or nbgrader's ``<student>/<assignment>/<assignment>.ipynb``), it is
the name of the nearest parent folder that is not the assignment name.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import json
import resource
import shutil
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

from . import checks
from .assignment import Assignment, assemble, belongs_elsewhere, load_assignment
from .build import TEXT_STUB
from .build import grade_id as _grade_id
from .gradebook import (
    Result,
    check_feedback_writable,
    gradebook_rows,
    read_previous_gradebook,
    write_feedback,
    write_gradebook,
)
from .isolation import (
    Limits,
    Sandbox,
    changed_files,
    environment_paths,
    fingerprint,
    package_dir,
    readable_roots,
    sandbox_mode,
)
from .feedback import CheckFailed
from .remote import StudentNamespace
from .run import OUTPUT_CAP, CellRun, run_cells


class IntegrityError(ValueError):
    """A file the sandbox keeps read-only changed while grading: the results cannot be trusted (the command
    prints it as one line and exits 2, like bad input)."""


def student_name(path: Path, assignment: str) -> str:
    """``alice.ipynb`` -> alice; ``alice/toy.ipynb`` and ``alice/toy/toy.ipynb`` -> alice (for assignment toy)."""
    path = Path(path).resolve()
    if path.stem != assignment:
        return path.stem
    for parent in path.parents:
        if parent.name and parent.name != assignment:
            return parent.name
    return path.stem


MAX_SUBMISSION = 50 * 2**20  # bytes: a notebook with its outputs cleared is far smaller


def read_submission_text(path: Path) -> tuple[str, str | None]:
    """The text of a notebook file: UTF-8 with or without a byte-order mark; bytes that are not UTF-8 are read as
    Latin-1 (with a note) rather than refused."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return data.decode("utf-8-sig", errors="gmg-latin-1"), "the file is not UTF-8: it was read as Latin-1"


codecs.register_error("gmg-latin-1", lambda err: (err.object[err.start:err.end].decode("latin-1"), err.end))


def _load_submission(path: Path):
    """(the submission notebook or None, the reason it cannot be graded or None, notes)."""
    try:
        if Path(path).stat().st_size > MAX_SUBMISSION:
            return None, f"too large: over {MAX_SUBMISSION // 2**20} MB (clear the outputs and upload it again)", []
        text, note = read_submission_text(path)
    except OSError as err:
        return None, f"cannot read the file: {err.strerror}", []
    notes = [note] if note else []
    if not text.strip():
        return None, "empty file", notes
    try:
        json.loads(text)
    except json.JSONDecodeError as err:
        return None, f"not valid JSON (damaged at line {err.lineno}); ask the student to upload it again", notes
    except RecursionError:
        return None, "not a Jupyter notebook (nested too deeply)", notes
    try:
        nb = nbformat.reads(text, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
        return nb, None, notes
    except Exception as err:  # valid JSON that nbformat cannot read: say so, do not crash the class
        return None, f"not a Jupyter notebook ({type(err).__name__})", notes


_MEMOS: dict[str, dict] = {}  # assignment -> hidden expected values computed in this process


def grade_submission(path: Path | str, assignment: Assignment, solutions_dir: Path | str, timeout: float,
                     limits: Limits = Limits()) -> Result:
    """Grade one submission file; never raises for anything wrong with the submission, never writes to it."""
    result = Result(student_name(Path(path), assignment.name))
    student, error, notes = _load_submission(Path(path))
    result.notes += notes
    if error:
        return _no_credit(result, assignment, error)
    elsewhere = belongs_elsewhere(student, assignment, solutions_dir)
    if elsewhere:
        return _no_credit(result, assignment, elsewhere)
    built = assemble(student, assignment)
    result.notes += [f"{answer}: scored zero because {why}" for answer, why in built.problems.items()]
    result.notes += built.notes
    namespace = _instructor_namespace(assignment)
    tests = {index: _test_runner(assignment.source[test], test, namespace, timeout)
             for index, test in built.tests.items()}
    folder = Path(tempfile.mkdtemp(prefix="gmg-grade-"))
    try:
        log = run_cells(built.nb, Sandbox(folder, limits), timeout, in_grader=tests)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result.notes += log.notes
    for index, run in sorted(log.cells.items()):
        if run.status in ("timeout", "died"):
            result.notes.append(f"{built.labels[index]}: {run.text}; the kernel was restarted")
    statuses = {run.status for run in log.cells.values()}
    result.status = "timeout" if "timeout" in statuses else "kernel died" if "died" in statuses else "graded"
    for index, test in built.tests.items():
        answer = assignment.tested_answer[test]
        run = log.cells.get(index)
        passed = run is not None and run.status == "ok" and answer not in built.problems
        result.scores[test] = assignment.tests[test] if passed else 0.0
        result.feedback[test] = (f"scored zero because {built.problems[answer]}" if answer in built.problems else
                                 "not run" if run is None else (run.text or "passed") if run.status in ("ok", "error")
                                 else run.text if run.status != "not run" else "not run")
    for grade_id in assignment.manual:
        text = built.answers.get(grade_id)
        if text is None or text.strip() in ("", TEXT_STUB):
            result.scores[grade_id] = 0.0
            result.feedback[grade_id] = built.problems.get(grade_id, "not answered")
        else:
            result.scores[grade_id] = None
            result.feedback[grade_id] = f"your answer (graded by hand):\n\n{text[:4000]}"
    return result


def _instructor_namespace(assignment: Assignment) -> StudentNamespace:
    """The namespace the tests run in (in this process): the instructor's setup cells run, the checks pointed at
    this assignment's expected values; any other name is looked up in the student's kernel."""
    checks._expected_file = assignment.expected_file
    checks._hidden_memo = _MEMOS.setdefault(assignment.name, {})
    namespace = StudentNamespace()
    for cell in (c for cells in assignment.blocks.values() for c in cells):
        if cell.cell_type == "code" and _grade_id(cell) not in assignment.tests:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                exec(compile(cell.source, f"<the instructor's cell {_grade_id(cell)}>", "exec"), namespace)
    namespace.forget_student_names()
    return namespace


def _test_runner(source: str, test: str, namespace: StudentNamespace, timeout: float):
    """Run test cell ``test`` (hidden tests included) in ``namespace``, asking the kernel through ``ask``; the
    grader's own work on the answers (``run``, references, playing a level) gets ``timeout`` seconds of CPU, checked
    before each question to the kernel (``StudentNamespace.cpu_deadline``)."""
    code = compile(source, f"<the instructor's test {test}>", "exec")

    def run(ask) -> CellRun:
        namespace.asker = ask
        namespace.forget_student_names()
        printed = io.StringIO()
        failure = ""
        namespace.cpu_deadline = time.process_time() + timeout
        try:
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(code, namespace)
        except CheckFailed as err:
            failure = f"✗ {err}"
        except Exception as err:  # the student's code made the test crash (a missing answer, say)
            failure = f"✗ {type(err).__name__}: {err}"
        text = "\n".join(part for part in (printed.getvalue().rstrip(), failure) if part)[:OUTPUT_CAP]
        return CellRun("error" if failure else "ok", text)
    return run


def _no_credit(result: Result, assignment: Assignment, status: str, notes: list[str] = ()) -> Result:
    result.status = status
    result.notes += list(notes)
    result.scores = {grade_id: 0.0 for grade_id in [*assignment.tests, *assignment.manual]}
    result.feedback = {grade_id: f"no credit: {status}" for grade_id in result.scores}
    return result


# ---------------------------------------------------------------------------------------------------------------
# A class
# ---------------------------------------------------------------------------------------------------------------
def find_submissions(paths: list[Path | str], assignment: str) -> dict[str, Path]:
    """Student name -> submission file; folders are searched for ``*.ipynb`` (checkpoints skipped)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.exists():
            files.append(path)
        else:
            raise ValueError(f"cannot find the submission {path}")
    found: dict[str, Path] = {}
    for path in files:
        name = student_name(path, assignment)
        if name in found and found[name].resolve() != path.resolve():
            raise ValueError(f"two submissions belong to student {name!r}: {found[name]} and {path}; "
                             "keep one of them")
        found[name] = path
    if not found:
        raise ValueError("no submissions found (give notebook files, or folders that contain them)")
    return dict(sorted(found.items()))


GRADER_MEMORY = 4 * 1024**3  # address space of a grading process: the tests' work on a huge answer fails, not it


class _Job:
    """What each worker needs: the assignment, the timeout, the limits."""

    def __init__(self, assignment, solutions_dir, timeout, limits):
        self.assignment, self.solutions_dir, self.timeout, self.limits = assignment, solutions_dir, timeout, limits

    def __call__(self, path: Path) -> Result:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (min(GRADER_MEMORY, hard if hard >= 0 else GRADER_MEMORY), hard))
        try:
            return grade_submission(path, self.assignment, self.solutions_dir, self.timeout, self.limits)
        except Exception as err:  # a failure of the grader itself: recorded for that student, the class goes on
            return _no_credit(Result(student_name(path, self.assignment.name)), self.assignment, "grader error",
                              [f"{type(err).__name__}: {err}"])
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def grade_all(submissions: dict[str, Path], assignment: Assignment, solutions_dir: Path | str, jobs: int = 1,
              timeout: float = 60.0, limits: Limits = Limits(),
              on_result=None) -> list[Result]:
    """Grade every submission, ``jobs`` at a time (separate processes, each with its own kernels).

    ``on_result(result)`` is called as each submission is graded, in order (for a progress bar).
    """
    job = _Job(assignment, solutions_dir, timeout, limits)
    paths = list(submissions.values())
    done = on_result or (lambda result: None)
    results = []
    if jobs <= 1:
        for path in paths:
            results.append(job(path))
            done(results[-1])
    else:
        # fork (Linux) reuses this process's imports; it has started no kernel or event loop yet, so it is safe
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for result in pool.map(job, paths):
                results.append(result)
                done(result)
    for name, result in zip(submissions, results):
        result.student = name
    return results


def _content_hashes(paths: list[Path]) -> dict[str, str]:
    hashes = {}
    for top in paths:
        for path in ([top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()
                                                        and "__pycache__" not in p.parts)):
            hashes[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def grade_class(submission_paths: list[Path | str], assignment_name: str, out: Path | str,
                solutions_dir: Path | str = "solutions", feedback_dir: Path | str | None = None, jobs: int = 1,
                timeout: float = 60.0, exercises_dir: Path | str | None = None, limits: Limits = Limits(),
                progress=None) -> list:
    """The whole ``gmg-teach grade`` command: grade, then write the gradebook and one feedback file per student.

    ``progress(n_submissions)`` is called once the submissions are found, and returns the ``on_result`` callback
    of :func:`grade_all` (a progress bar's update).
    """
    out = Path(out)
    feedback_dir = Path(feedback_dir) if feedback_dir else out.parent / f"{out.stem}_feedback"
    assignment = load_assignment(solutions_dir, assignment_name, exercises_dir)
    submissions = find_submissions(submission_paths, assignment_name)
    previous = read_previous_gradebook(out)
    check_feedback_writable([feedback_dir / f"{name}.md" for name in submissions])
    exposed = [root for root in readable_roots() if root == Path(solutions_dir).resolve()
               or root in Path(solutions_dir).resolve().parents]
    if exposed:
        raise ValueError(f"kernels would see {solutions_dir}: it is inside {exposed[0]}, which they must read "
                         "(PYTHONPATH or the environment); point PYTHONPATH elsewhere")
    reason = sandbox_mode()
    if reason:
        print(f"gmg-teach grade: {reason}", file=sys.stderr)
    instructor = [Path(solutions_dir) / f"{assignment_name}.ipynb", *([assignment.expected_file]
                                                                      if assignment.expected_file else [])]
    watched = [*instructor, *submissions.values()]
    hashes = _content_hashes([package_dir(), *watched])
    environment = fingerprint(environment_paths())
    results = grade_all(submissions, assignment, solutions_dir, jobs=jobs, timeout=timeout, limits=limits,
                        on_result=progress(len(submissions)) if progress else None)
    changed = [path for path, digest in _content_hashes([package_dir(), *watched]).items()
               if hashes.get(path) != digest] + [path for path in hashes if not Path(path).exists()]
    changed += changed_files(environment, fingerprint(environment_paths()))
    if changed:
        raise IntegrityError(f"these files changed during grading: {', '.join(changed[:10])}; grading stopped "
                             "(nothing was written)")
    rows = gradebook_rows(results, assignment, previous)
    write_gradebook(rows, assignment, out)
    write_feedback(results, rows, assignment, feedback_dir)
    return rows
