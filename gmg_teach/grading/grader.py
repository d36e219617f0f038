"""Grade a class: every submission in its own sandboxed kernel with the instructor's tests; write a gradebook.

One submission (``grade_submission``):

1. **Read** it; an empty, damaged or foreign file gets a status saying so. A notebook of another assignment is
   named as such (``assignment.belongs_elsewhere``).
2. **Assemble** the notebook to run: the student's cells, the instructor's tests (hidden ones included) inserted
   after the real answer cells (``assignment.assemble``: moved, copied, decoy and deleted cells).
3. **Review** the student's code (``review.review``): rebinding a name the tests use scores zero (status
   ``tampering``); code that reaches into the interpreter or the machine is listed for the instructor (status
   ``review``), points kept.
4. **Run** it in a sandbox (``isolation``: read-only system and environment, a private folder, no network, no
   other processes, memory/process/file limits), cell by cell with a time limit per cell (``run``): a hang or a
   dead kernel costs that cell, the kernel is restarted and the rest still runs.
5. **Score**: a test cell earns its points if it ran without error (and its answer cell exists). Written answers
   are left blank for the instructor (zero if unanswered).

Around each submission the grader fingerprints the package, the environment, the instructor's files and every
submission (``isolation.fingerprint``); a change means the isolation failed, and grading stops naming the files.

The student's name is the submission's file name without ``.ipynb``; when that is the assignment name (the
``<student>/<assignment>.ipynb`` layout, or nbgrader's ``<student>/<assignment>/<assignment>.ipynb``), it is
the name of the nearest parent folder that is not the assignment name.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

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
from .review import review
from .run import run_cells


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


def _load_submission(path: Path):
    """The submission notebook, or the reason it cannot be graded (as a status string)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, "not a notebook: the file is not text"
    except OSError as err:
        return None, f"cannot read the file: {err.strerror}"
    if not text.strip():
        return None, "empty file"
    try:
        json.loads(text)
    except json.JSONDecodeError as err:
        return None, f"not valid JSON (damaged at line {err.lineno}); ask the student to upload it again"
    except RecursionError:
        return None, "not a Jupyter notebook (nested too deeply)"
    try:
        nb = nbformat.reads(text, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
        return nb, None
    except Exception as err:  # valid JSON that nbformat cannot read: say so, do not crash the class
        return None, f"not a Jupyter notebook ({type(err).__name__})"


def grade_submission(path: Path | str, assignment: Assignment, solutions_dir: Path | str, timeout: float,
                     limits: Limits = Limits()) -> Result:
    """Grade one submission file; never raises for anything wrong with the submission, never writes to it."""
    result = Result(student_name(Path(path), assignment.name))
    student, error = _load_submission(Path(path))
    if error:
        return _no_credit(result, assignment, error)
    elsewhere = belongs_elsewhere(student, assignment, solutions_dir)
    if elsewhere:
        return _no_credit(result, assignment, elsewhere)
    built = assemble(student, assignment)
    result.notes += [f"{answer}: scored zero because {why}" for answer, why in built.problems.items()]
    result.notes += built.notes
    zero, flags = review(built.student_code, *_protected(assignment))
    if zero:
        return _no_credit(result, assignment, "tampering", [f"tampering: {line}" for line in zero] +
                          [f"review: {line}" for line in flags])
    result.notes += [f"review: {line}" for line in flags]
    folder = Path(tempfile.mkdtemp(prefix="gmg-grade-"))
    try:
        files = {assignment.expected_file.name: assignment.expected_file} if assignment.expected_file else {}
        sandbox = Sandbox(folder, files, limits)
        log = run_cells(built.nb, sandbox, timeout, replay_skip=set(built.tests))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result.notes += log.notes
    for index, run in sorted(log.cells.items()):
        if run.status in ("timeout", "died"):
            result.notes.append(f"{built.labels[index]}: {run.text}; the kernel was restarted")
    statuses = {run.status for run in log.cells.values()}
    result.status = ("review" if flags else "timeout" if "timeout" in statuses else
                     "kernel died" if "died" in statuses else "graded")
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


def _protected(assignment: Assignment):
    """(imports, definitions) of the instructor's locked cells other than tests (the setup cell: what the tests use
    without defining it), and the names only the hidden tests define. A name a test cell defines itself is not
    protected: the test cell redefines it before using it."""
    from .review import imports_of, parse

    setup = [c for cells in assignment.blocks.values() for c in cells
             if c.cell_type == "code" and _grade_id(c) not in assignment.tests]
    imports: dict[str, tuple[str, str | None]] = {}
    for cell in setup:
        imports.update(imports_of(parse(cell.source)))
    defined = {name for cell in setup for name in _defined(cell)}
    hidden: set[str] = set()
    for test in assignment.tests:
        full = _defined_anywhere(assignment.source.get(test, ""))
        hidden |= full - _defined_anywhere(assignment.released.get(test, ""))
    return imports, defined, hidden - defined - set(imports)


def _defined_anywhere(source: str) -> set[str]:
    """Functions and classes a test cell defines at its top level (hidden tests included, when given them)."""
    import ast

    from .review import parse

    tree = parse(source)
    return {n.name for n in (tree.body if tree else ()) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def _defined(cell) -> list[str]:
    """Names the instructor's cells define at the top level (functions, classes, variables) for the tests."""
    import ast

    from .review import parse

    tree = parse(cell.source) if cell.cell_type == "code" else None
    names = []
    for node in tree.body if tree else ():
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return [name for name in names if not name.startswith("_")]


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


class _Job:
    """What each worker needs: the assignment, the files to watch, the limits."""

    def __init__(self, assignment, solutions_dir, timeout, limits, watched):
        self.assignment, self.solutions_dir, self.timeout, self.limits = assignment, solutions_dir, timeout, limits
        self.watched = watched

    def __call__(self, path: Path) -> Result:
        before = fingerprint(self.watched)
        try:
            result = grade_submission(path, self.assignment, self.solutions_dir, self.timeout, self.limits)
        except Exception as err:  # a failure of the grader itself: recorded for that student, the class goes on
            result = _no_credit(Result(student_name(path, self.assignment.name)), self.assignment, "grader error",
                                [f"{type(err).__name__}: {err}"])
        changed = changed_files(before, fingerprint(self.watched))
        if changed:
            raise IntegrityError(f"while grading {path} (or a submission graded at the same time), these files "
                                 f"changed: {', '.join(changed[:10])}{' ...' if len(changed) > 10 else ''}. The "
                                 "sandbox should make that impossible: grading stopped. Restore the files (reinstall "
                                 "the environment) before grading again; if you edited them yourself, just rerun.")
        return result


def grade_all(submissions: dict[str, Path], assignment: Assignment, solutions_dir: Path | str, jobs: int = 1,
              timeout: float = 60.0, limits: Limits = Limits(), watched: list[Path] = (),
              on_result=None) -> list[Result]:
    """Grade every submission, ``jobs`` at a time (separate processes, each with its own kernels).

    ``on_result(result)`` is called as each submission is graded, in order (for a progress bar).
    """
    job = _Job(assignment, solutions_dir, timeout, limits, [*environment_paths(), *watched])
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
    results = grade_all(submissions, assignment, solutions_dir, jobs=jobs, timeout=timeout, limits=limits,
                        watched=watched, on_result=progress(len(submissions)) if progress else None)
    changed = [path for path, digest in _content_hashes([package_dir(), *watched]).items()
               if hashes.get(path) != digest] + [path for path in hashes if not Path(path).exists()]
    if changed:
        raise IntegrityError(f"these files changed during grading: {', '.join(changed[:10])}; grading stopped "
                             "(nothing was written)")
    rows = gradebook_rows(results, assignment, previous)
    write_gradebook(rows, assignment, out)
    write_feedback(results, rows, assignment, feedback_dir)
    return rows
