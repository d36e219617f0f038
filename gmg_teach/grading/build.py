"""Generate student notebooks (``exercises/``) from instructor notebooks (``solutions/``).

The solutions are the single source of truth, written in nbgrader's cell format (schema 3): each graded cell has
``metadata.nbgrader`` with ``grade``, ``solution``, ``locked``, ``points``, ``grade_id``. Building a student
notebook does what ``nbgrader generate_assignment`` does, so either tool can grade the result:

- solution regions (``### BEGIN SOLUTION`` ... ``### END SOLUTION``) become ``# YOUR CODE HERE`` /
  ``raise NotImplementedError()``; a solution cell without a region is replaced whole (markdown by
  ``YOUR ANSWER HERE``);
- hidden test regions (``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``) are removed;
- outputs are cleared, test and read-only cells are locked (``editable``/``deletable`` false), and nbgrader's
  checksums are recomputed, exactly as nbgrader does.

Generated notebooks carry ``metadata.gmg_teach.generated_from`` and a hash of their cell sources. Building again
overwrites a file only if it carries that mark *and* its cells still hash the same, i.e. nobody edited it since;
anything else is refused (unless ``force``), so a human's work is never lost. Output is byte-identical on rerun.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path

import nbformat

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
MARK = "gmg_teach"  # notebook metadata key of generated notebooks


class BuildError(ValueError):
    """A solution notebook that cannot be turned into an exercise, or an exercise we must not overwrite."""


# nbgrader's cell roles (same rules as nbgrader.utils).
def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution", False))


def is_grade(cell) -> bool:
    return bool(nbgrader_meta(cell).get("grade", False))


def is_locked(cell) -> bool:
    """Restored from the source on grading: tests and read-only cells (never a solution cell)."""
    meta = nbgrader_meta(cell)
    return bool(meta) and not meta.get("solution", False) and (meta.get("grade", False) or meta.get("locked", False))


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
        grade_id = meta.get("grade_id")
        if not grade_id:
            raise BuildError(f"{where}, cell {index}: nbgrader cell without a grade_id")
        if grade_id in seen:
            raise BuildError(f"{where}, cell {index}: grade_id {grade_id!r} is used twice")
        seen.add(grade_id)
        if is_grade(cell) and not isinstance(meta.get("points"), (int, float)):
            raise BuildError(f"{where}, cell {grade_id!r}: a graded cell needs a number of points")


def _replace_region(source: str, begin: str, end: str, stub: str | None, where: str) -> tuple[str, bool]:
    """Replace every ``begin``...``end`` region (marker lines included) by ``stub`` (indented like ``begin``)."""
    out: list[str] = []
    inside = found = False
    for line in source.split("\n"):
        if begin in line:
            if inside:
                raise BuildError(f"{where}: {begin!r} inside another {begin!r} region")
            inside = found = True
            if stub is not None:
                indent = re.match(r"\s*", line).group(0)
                out.extend(indent + stub_line for stub_line in stub.split("\n"))
        elif end in line:
            if not inside:
                raise BuildError(f"{where}: {end!r} without a {begin!r} before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise BuildError(f"{where}: {begin!r} is never closed by {end!r}")
    return "\n".join(out), found


def nbgrader_checksum(cell) -> str:
    """nbgrader's ``compute_checksum``: what its autograder compares to see if a cell was changed."""
    meta = nbgrader_meta(cell)
    m = hashlib.md5()
    for part in (cell.source, cell.cell_type, str(is_grade(cell)), str(is_solution(cell)), str(is_locked(cell)),
                 meta["grade_id"]):
        m.update(part.encode("utf-8"))
    if is_grade(cell):
        m.update(str(float(meta["points"])).encode("utf-8"))
    return m.hexdigest()


def cells_hash(nb) -> str:
    """Hash of cell types and sources: changes when someone edits a cell, not when they merely run it."""
    data = json.dumps([[cell.cell_type, cell.source] for cell in nb.cells], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def student_version(solution, generated_from: str):
    """The student notebook for one solution notebook (a new object; ``solution`` is untouched)."""
    check_source(solution, generated_from)
    nb = copy.deepcopy(solution)
    for index, cell in enumerate(nb.cells, start=1):
        where = f"{generated_from}, cell {index}"
        stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
        cell.source, replaced = _replace_region(cell.source, "BEGIN SOLUTION", "END SOLUTION", stub, where)
        if replaced and not is_solution(cell):
            raise BuildError(f"{where}: a solution region in a cell not marked as a solution cell")
        if is_solution(cell) and not replaced:
            cell.source = stub
        cell.source, removed = _replace_region(cell.source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", None, where)
        if removed and not is_grade(cell):
            raise BuildError(f"{where}: hidden tests in a cell not marked as a graded (test) cell")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        cell.metadata.pop("execution", None)
        if nbgrader_meta(cell):
            _lock_like_nbgrader(cell)
            cell.metadata.nbgrader["checksum"] = nbgrader_checksum(cell)
            cell.metadata.nbgrader["cell_type"] = cell.cell_type
    nb.metadata.pop("celltoolbar", None)
    nb.metadata[MARK] = {
        "generated_from": generated_from,
        "do_not_edit": "generated by `gmg-teach build-exercises`; edit the solution notebook instead",
        "cells_sha256": cells_hash(nb),
    }
    return nb


def _lock_like_nbgrader(cell) -> None:
    """nbgrader's LockCells: answers cannot be deleted; tests and read-only cells cannot be edited either."""
    if is_solution(cell) or is_locked(cell):
        cell.metadata["deletable"] = False
    if is_locked(cell):
        cell.metadata["editable"] = False


def render(nb) -> str:
    """The exact bytes we write: nbformat's stable JSON (sorted keys, indent 1) and a final newline."""
    return nbformat.writes(nb) + "\n"


def _solution_files(solutions_dir: Path) -> list[Path]:
    return sorted(p for p in Path(solutions_dir).glob("*.ipynb") if p.is_file())


def _expected(solutions_dir: Path, exercises_dir: Path) -> dict[Path, str]:
    """Every exercise file build would write, with its text."""
    return {Path(exercises_dir) / src.name: render(student_version(read_notebook(src), f"{solutions_dir.name}/{src.name}"))
            for src in _solution_files(solutions_dir)}


def _why_not_ours(path: Path) -> str | None:
    """None if ``path`` is an unedited generated notebook we may overwrite, else the reason we may not."""
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


def build_exercises(solutions_dir: Path | str, exercises_dir: Path | str, force: bool = False) -> list[str]:
    """Write ``exercises_dir/<name>.ipynb`` for every ``solutions_dir/<name>.ipynb``; return one line per file.

    All or nothing: if any target may not be overwritten (see the module docstring), nothing is written and a
    :class:`BuildError` lists the files. ``force`` overwrites them anyway.
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    if not solutions_dir.is_dir():
        raise BuildError(f"cannot find the solutions folder {solutions_dir}")
    expected = _expected(solutions_dir, exercises_dir)
    changed = {path: text for path, text in expected.items()
               if not path.exists() or path.read_text(encoding="utf-8") != text}
    refused = [reason for path in changed if path.exists() and (reason := _why_not_ours(path))]
    if refused and not force:
        raise BuildError("; ".join(refused) + ". Nothing was written: move those files away, or rerun with --force "
                         "to overwrite them")
    exercises_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    for path, text in expected.items():
        if path in changed:
            path.write_text(text, encoding="utf-8")
            lines.append(f"wrote {path}")
        else:
            lines.append(f"up to date {path}")
    lines += [f"warning: {problem}" for problem in _orphans(solutions_dir, exercises_dir, expected)]
    return lines


def _orphans(solutions_dir: Path, exercises_dir: Path, expected: dict[Path, str]) -> list[str]:
    """Exercise notebooks that no solution generates (a deleted or renamed solution)."""
    return [f"{path} has no solution notebook {solutions_dir / path.name}; delete it if that is intended"
            for path in sorted(exercises_dir.glob("*.ipynb")) if path not in expected]


def check_in_sync(solutions_dir: Path | str, exercises_dir: Path | str) -> list[str]:
    """Everything that differs between ``exercises_dir`` and what build would write; empty when in sync."""
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    expected = _expected(solutions_dir, exercises_dir)
    problems = []
    for path, text in expected.items():
        if not path.exists():
            problems.append(f"{path} is missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{path} differs from what {solutions_dir / path.name} generates")
    if exercises_dir.is_dir():
        problems += _orphans(solutions_dir, exercises_dir, expected)
    return problems
