"""Generate what students get (``exercises/``) from the instructor's notebooks (``solutions/``).

The solutions are the single source of truth, in nbgrader's cell format (schema 3). For each
``solutions/<name>.ipynb`` the build writes:

- ``exercises/<name>.ipynb``: the solution run through nbgrader's own preprocessors, in the order
  ``nbgrader generate_assignment`` uses (LockCells, ClearSolutions, ClearOutput, ComputeChecksums,
  ClearHiddenTests, ClearMarkScheme, ComputeChecksums, with CheckCellMetadata around them), so it is the notebook
  nbgrader itself would release, plus a ``metadata.gmg_teach`` mark;
- ``exercises/<name>.expected.json`` (only if a test cell calls ``visible_check``): the expected value of every
  visible case, computed by running the solution's graded cells (setup, answers, tests with their hidden parts)
  in a kernel while ``checks.start_recording()`` is on. The solution's hidden checks must pass there, and no
  hidden case may reuse a visible case's description or inputs. The file records the solution's hash; it is
  recomputed when the solution changes (or with ``recompute=True``, after the engine changed).

Both files carry a mark and a hash of their content: building again overwrites a file only if it carries the mark
and nobody edited it since; anything else is refused (unless ``force``), so nobody's work is lost. The notebook is
byte-identical on rerun; the expected values are, as long as the engine computes the same numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

import nbformat

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
MARK = "gmg_teach"  # notebook metadata key of generated notebooks
EXPECTED_SUFFIX = ".expected.json"
GENERATED_BY = "gmg-teach build-exercises"


class BuildError(ValueError):
    """A solution notebook that cannot be turned into an exercise, or an exercise we must not overwrite."""


# nbgrader's cell roles (the rules of nbgrader.utils, tolerant of damaged metadata in submissions).
def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    meta = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return meta if isinstance(meta, dict) else {}


def grade_id(cell) -> str | None:
    value = nbgrader_meta(cell).get("grade_id")
    return value if isinstance(value, str) and value else None


def is_solution(cell) -> bool:
    return nbgrader_meta(cell).get("solution", False) is True


def is_grade(cell) -> bool:
    return nbgrader_meta(cell).get("grade", False) is True


def is_locked(cell) -> bool:
    """Restored from the source on grading: tests and read-only cells (never a solution cell)."""
    meta = nbgrader_meta(cell)
    return bool(meta) and not is_solution(cell) and (is_grade(cell) or meta.get("locked", False) is True)


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook, turning a damaged file into one clear sentence."""
    try:
        return nbformat.read(str(path), as_version=4)
    except (json.JSONDecodeError, UnicodeDecodeError, nbformat.reader.NotJSONError) as err:
        raise BuildError(f"{path} is not a valid notebook file ({type(err).__name__})") from None


def check_source(nb, where: str) -> None:
    """Refuse a solution notebook whose nbgrader metadata nbgrader itself would reject."""
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells, start=1):
        meta = nbgrader_meta(cell)
        if not meta:
            continue
        if not grade_id(cell):
            raise BuildError(f"{where}, cell {index}: nbgrader cell without a grade_id")
        if grade_id(cell) in seen:
            raise BuildError(f"{where}, cell {index}: grade_id {grade_id(cell)!r} is used twice")
        seen.add(grade_id(cell))
        if is_grade(cell) and not isinstance(meta.get("points"), (int, float)):
            raise BuildError(f"{where}, cell {grade_id(cell)!r}: a graded cell needs a number of points")


def cells_hash(nb) -> str:
    """Hash of cell types and sources: changes when someone edits a cell, not when they merely run it."""
    data = json.dumps([[cell.cell_type, cell.source] for cell in nb.cells], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _nbgrader_release(solution):
    """What ``nbgrader generate_assignment`` releases for ``solution`` (its preprocessors, in its order)."""
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    nb, resources = nbformat.from_dict(solution), {}
    steps = [LockCells(), ClearSolutions(code_stub={"python": CODE_STUB}, text_stub=TEXT_STUB), ClearOutput(),
             CheckCellMetadata(), ComputeChecksums(), ClearHiddenTests(), ClearMarkScheme(), ComputeChecksums(),
             CheckCellMetadata()]
    for step in steps:
        nb, resources = step.preprocess(nb, resources)
    return nb


def student_version(solution, generated_from: str):
    """The student notebook for one solution notebook (a new object; ``solution`` is untouched)."""
    check_source(solution, generated_from)
    try:
        nb = _nbgrader_release(solution)
    except Exception as err:  # nbgrader says what is wrong (an unclosed region, a region in the wrong cell, ...)
        raise BuildError(f"{generated_from}: {err}") from None
    nb.metadata[MARK] = {
        "generated_from": generated_from,
        "do_not_edit": "generated by `gmg-teach build-exercises`; edit the solution notebook instead",
        "cells_sha256": cells_hash(nb),
    }
    return nb


def render(nb) -> str:
    """The exact bytes we write: nbformat's stable JSON (sorted keys, indent 1) and a final newline."""
    return nbformat.writes(nb) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# Expected values of visible checks
# ---------------------------------------------------------------------------------------------------------------
def uses_visible_checks(solution) -> bool:
    return any(cell.cell_type == "code" and "visible_check(" in cell.source and is_grade(cell)
               for cell in solution.cells)


def solution_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _render_expected(name: str, generated_from: str, sha: str, checks: dict) -> str:
    body = json.dumps(checks, ensure_ascii=False, sort_keys=True)
    data = {"generated_by": GENERATED_BY, "assignment": name, "generated_from": generated_from,
            "solution_sha256": sha, "checks_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
            "checks": checks}
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def compute_expected(path: Path, generated_from: str, timeout: float = 600) -> str:
    """Run the solution's graded cells with recording on; the text of its ``.expected.json``."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    solution = read_notebook(path)
    with tempfile.TemporaryDirectory(prefix="gmg-build-") as folder:
        record = Path(folder) / "recorded.json"
        cells = [nbformat.v4.new_code_cell("from gmg_teach.grading import checks as _gmg_checks\n"
                                           "_gmg_checks.start_recording()")]
        labels = ["(recording)"]
        for index, cell in enumerate(solution.cells, start=1):
            if cell.cell_type == "code" and nbgrader_meta(cell):
                cells.append(nbformat.v4.new_code_cell(cell.source))
                labels.append(f"cell {index} ({grade_id(cell)})")
        cells.append(nbformat.v4.new_code_cell(f"_gmg_checks.save_recording({str(record)!r})"))
        labels.append("(saving)")
        nb = nbformat.v4.new_notebook(cells=cells, metadata=solution.metadata)
        env = {k: v for k, v in os.environ.items() if k != "GMG_TEACH_FAST"}
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": folder}})
        try:
            with client.setup_kernel(env={**env, "MPLBACKEND": "Agg"}, stderr=subprocess.DEVNULL):
                for index, cell in enumerate(nb.cells):
                    try:
                        client.execute_cell(cell, index)
                    except CellExecutionError as err:
                        raise BuildError(f"{generated_from}, {labels[index]}: running the solution to compute the "
                                         f"visible checks' expected values failed: {err.ename}: {err.evalue}") from None
        except BuildError:
            raise
        except Exception as err:
            raise BuildError(f"{generated_from}: could not run the solution ({type(err).__name__}: {err})") from None
        recorded = json.loads(record.read_text(encoding="utf-8"))
    _check_hidden_cases_are_new(recorded, generated_from)
    return _render_expected(Path(path).stem, generated_from, solution_sha256(path), recorded["checks"])


def _check_hidden_cases_are_new(recorded: dict, where: str) -> None:
    """A hidden case must not repeat a visible one (its description or its inputs): else hard-coding passes."""
    for name, hidden in recorded.get("hidden", {}).items():
        visible = recorded.get("visible", {}).get(name, [])
        givens = {given for given, _ in visible}
        digests = {digest: given for given, digest in visible if digest}
        for given, digest in hidden:
            if given in givens:
                raise BuildError(f"{where}: the hidden {name} case {given!r} is also a visible case; hidden tests "
                                 "must use inputs the visible checks do not show")
            if digest and digest in digests:
                raise BuildError(f"{where}: the hidden {name} case {given!r} has the same inputs as the visible case "
                                 f"{digests[digest]!r}; hidden tests must use inputs the visible checks do not show")


def read_expected(path: Path) -> dict | None:
    """The parsed ``.expected.json`` if it is one of ours and unedited, else None."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("generated_by") != GENERATED_BY or "checks" not in data:
        return None
    body = json.dumps(data["checks"], ensure_ascii=False, sort_keys=True)
    return data if hashlib.sha256(body.encode("utf-8")).hexdigest() == data.get("checks_sha256") else None


# ---------------------------------------------------------------------------------------------------------------
# Building a folder
# ---------------------------------------------------------------------------------------------------------------
def _solution_files(solutions_dir: Path) -> list[Path]:
    solutions_dir = Path(solutions_dir)
    if not solutions_dir.is_dir():
        raise BuildError(f"cannot find the solutions folder {solutions_dir}: run this in the course folder (the one "
                         "holding solutions/ and exercises/), or give --solutions")
    files = sorted(p for p in solutions_dir.glob("*.ipynb") if p.is_file())
    if not files:
        raise BuildError(f"{solutions_dir} holds no solution notebooks (*.ipynb)")
    return files


STALE = "stale"  # in a check without recomputing: an expected-values file whose solution changed


def _planned(solutions_dir: Path, exercises_dir: Path, recompute: bool, checking: bool = False,
             progress=None) -> dict:
    """Every file build would write, with its text (None: an expected-values file that is up to date).

    ``progress(name)`` is called after each solution (for a progress bar).
    """
    planned: dict[Path, str | None] = {}
    for src in _solution_files(solutions_dir):
        where = f"{Path(solutions_dir).name}/{src.name}"
        solution = read_notebook(src)
        planned[Path(exercises_dir) / src.name] = render(student_version(solution, where))
        if uses_visible_checks(solution):
            target = Path(exercises_dir) / f"{src.stem}{EXPECTED_SUFFIX}"
            current = read_expected(target)
            fresh = current is not None and current.get("solution_sha256") == solution_sha256(src)
            if fresh and not recompute:
                planned[target] = None
            else:
                planned[target] = STALE if checking and not recompute else compute_expected(src, where)
        if progress is not None:
            progress(src.name)
    return planned


def _why_not_ours(path: Path) -> str | None:
    """None if ``path`` is an unedited generated file we may overwrite, else the reason we may not."""
    if path.name.endswith(EXPECTED_SUFFIX):
        return None if read_expected(path) else f"{path} was not generated by gmg-teach, or was edited since"
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception:  # unreadable: certainly not something we wrote
        return f"{path} is not a notebook generated by gmg-teach"
    mark = nb.metadata.get(MARK)
    if not isinstance(mark, dict) or "cells_sha256" not in mark:
        return f"{path} was not generated by gmg-teach (it may be someone's work)"
    if mark["cells_sha256"] != cells_hash(nb):
        return f"{path} was edited by hand since it was generated"
    return None


def build_exercises(solutions_dir: Path | str, exercises_dir: Path | str, force: bool = False,
                    recompute: bool = False, progress=None) -> list[str]:
    """Write the exercise notebook (and expected values) for every ``solutions_dir/<name>.ipynb``.

    All or nothing: if any target may not be overwritten (see the module docstring), nothing is written and a
    :class:`BuildError` lists the files. ``force`` overwrites them anyway; ``recompute`` recomputes expected values
    even for unchanged solutions. ``progress(name)`` is called after each solution.
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    planned = _planned(solutions_dir, exercises_dir, recompute, progress=progress)
    changed = {path: text for path, text in planned.items()
               if text is not None and (not path.exists() or path.read_text(encoding="utf-8") != text)}
    refused = [reason for path in changed if path.exists() and (reason := _why_not_ours(path))]
    if refused and not force:
        raise BuildError("; ".join(refused) + ". Nothing was written: move those files away, or rerun with --force "
                         "to overwrite them")
    exercises_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    for path in planned:
        if path in changed:
            path.write_text(changed[path], encoding="utf-8")
            lines.append(f"wrote {path}")
        else:
            lines.append(f"up to date {path}")
    lines += [f"warning: {problem}" for problem in _orphans(solutions_dir, exercises_dir, planned)]
    return lines


def _orphans(solutions_dir: Path, exercises_dir: Path, planned) -> list[str]:
    """Exercise files that no solution generates (a deleted or renamed solution)."""
    files = sorted([*exercises_dir.glob("*.ipynb"), *exercises_dir.glob(f"*{EXPECTED_SUFFIX}")])
    return [f"{path} has no solution notebook in {solutions_dir}; delete it if that is intended"
            for path in files if path not in planned]


def check_in_sync(solutions_dir: Path | str, exercises_dir: Path | str, recompute: bool = False,
                  progress=None) -> list[str]:
    """Everything that differs between ``exercises_dir`` and what build would write; empty when in sync.

    Expected values are compared by the solution hash they record, unless ``recompute`` (then they are computed
    again, which runs the solutions).
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    problems = []
    planned = _planned(solutions_dir, exercises_dir, recompute, checking=True, progress=progress)
    for path, text in planned.items():
        if not path.exists():
            problems.append(f"{path} is missing")
        elif text is STALE:
            problems.append(f"{path} was computed from another version of its solution")
        elif text is not None and path.read_text(encoding="utf-8") != text:
            problems.append(f"{path} differs from what {solutions_dir / (path.name.split('.')[0] + '.ipynb')} "
                            "generates")
    if exercises_dir.is_dir():
        problems += _orphans(solutions_dir, exercises_dir, planned)
    return problems
