"""The instructor's assignment, and the notebook to run for one submission (the student's cells + the tests).

Assembling a submission (``assemble``):

- Cells carrying the ``grade_id`` of an instructor's locked cell (tests, the setup cell, read-only cells) are
  dropped, whatever their flags say; the instructor's versions, hidden tests included, are inserted instead.
- A cell carrying an answer's ``grade_id`` and the answer's cell type is a candidate for that answer, whatever its
  nbgrader flags say (a changed flag is noted). With several candidates (a copied cell, a decoy), the real one is
  the cell with the exercise's original cell id; failing that, the last one. The others run as ordinary code.
- The instructor's cells that follow an answer in the source are inserted right after the real answer cell,
  wherever the student moved it. An answer whose cell was deleted scores zero with a note; its tests still run
  (where the answer would have been), so later exercises can use what they set up.
- Cells with nbgrader metadata of no cell of this assignment run as ordinary code, with a note. A notebook with
  none of this assignment's answers is named: the assignment it belongs to, if another solution matches.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .build import (
    EXPECTED_SUFFIX,
    BuildError,
    check_source,
    grade_id,
    is_grade,
    is_locked,
    is_solution,
    nbgrader_meta,
    read_expected,
    read_notebook,
    solution_sha256,
    student_version,
    uses_visible_checks,
)


@dataclass
class Assignment:
    """The instructor's notebook, indexed for grading."""

    name: str
    answers: list[str]  # grade_ids of answer (solution) cells, in source order
    answer_type: dict[str, str]  # grade_id -> cell type
    original_id: dict[str, str]  # grade_id -> the exercise cell's id (to tell the real answer cell from copies)
    blocks: dict[str | None, list]  # locked instructor cells that follow each answer (None: before the first)
    tests: dict[str, float]  # grade_id -> points, autograded test cells in source order
    tested_answer: dict[str, str | None]  # test grade_id -> the answer it follows (None: before any answer)
    manual: dict[str, float]  # grade_id -> points, answers graded by hand
    instructor_ids: set[str]  # grade_ids of every instructor cell that is restored from the source
    expected_file: Path | None  # <name>.expected.json: the visible checks' expected values
    released: dict[str, str] = field(default_factory=dict)  # grade_id -> the exercise's source of that cell
    source: dict[str, str] = field(default_factory=dict)  # grade_id -> the solution's source of that cell

    @property
    def max_points(self) -> float:
        return sum(self.tests.values()) + sum(self.manual.values())


def load_assignment(solutions_dir: Path | str, name: str, exercises_dir: Path | str | None = None) -> Assignment:
    path = Path(solutions_dir) / f"{name}.ipynb"
    if not path.is_file():
        raise BuildError(f"cannot find the solution notebook {path} for assignment {name!r}")
    source = read_notebook(path)
    check_source(source, str(path))
    released = student_version(source, f"{Path(solutions_dir).name}/{path.name}")
    answers, answer_type, blocks, tests, tested_answer, manual = [], {}, {None: []}, {}, {}, {}
    anchor = None
    for cell in source.cells:
        gid = grade_id(cell)
        if is_solution(cell):
            anchor = gid
            answers.append(gid)
            answer_type[gid] = cell.cell_type
            blocks[anchor] = []
            if is_grade(cell):
                manual[gid] = float(nbgrader_meta(cell)["points"])
        elif is_locked(cell):
            blocks[anchor].append(cell)
            if is_grade(cell) and cell.cell_type == "code":
                tests[gid] = float(nbgrader_meta(cell)["points"])
                tested_answer[gid] = anchor
    if not tests and not manual:
        raise BuildError(f"{path} has no graded cells (nbgrader 'grade': true)")
    _check_names(source, blocks, path)
    return Assignment(
        name, answers, answer_type, {grade_id(c): c.get("id") for c in released.cells if grade_id(c)}, blocks,
        tests, tested_answer, manual, {grade_id(c) for cells in blocks.values() for c in cells},
        _expected_file(source, path, exercises_dir),
        {grade_id(c): c.source for c in released.cells if grade_id(c)},
        {grade_id(c): c.source for c in source.cells if grade_id(c)})


def _expected_file(source, path: Path, exercises_dir) -> Path | None:
    if not uses_visible_checks(source):
        return None
    folder = Path(exercises_dir) if exercises_dir else path.parent.parent / "exercises"
    expected = folder / f"{path.stem}{EXPECTED_SUFFIX}"
    data = read_expected(expected)
    if data is None or data.get("solution_sha256") != solution_sha256(path):
        raise BuildError(f"{expected} is missing or was computed from another version of {path}: run "
                         "`gmg-teach build-exercises` first (or give --exercises)")
    return expected


def _check_names(source, blocks, path) -> None:
    """Refuse an assignment where a name would be the wrong side's. Under ``gmg-teach grade`` a name the tests use
    is the instructor's if a locked cell binds it, else the student's (``remote``): so a check a test cell calls must
    be bound by a locked cell (else the student could define it), and no locked cell may bind a name an answer
    defines (else the tests would check the instructor's object)."""
    instructor = set().union(*(_top_level_names(_parse(c.source)) for cells in blocks.values() for c in cells
                               if c.cell_type == "code"))
    for cell in (c for cells in blocks.values() for c in cells if c.cell_type == "code" and is_grade(c)):
        for node in ast.walk(_parse(cell.source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and "check" in node.func.id \
                    and node.func.id not in instructor:
                raise BuildError(f"{path}: test cell {grade_id(cell)!r} calls {node.func.id}, but no read-only cell "
                                 "imports it; lock the cell that imports the checks (nbgrader 'locked': true)")
    for cell in (c for c in source.cells if is_solution(c) and c.cell_type == "code"):
        try:
            clash = sorted(_top_level_names(ast.parse(cell.source)) & instructor)
        except SyntaxError:
            continue
        if clash:
            raise BuildError(f"{path}: answer {grade_id(cell)!r} defines {', '.join(clash)}, which an instructor's "
                             "cell binds too; the tests would use the instructor's one. Rename one of them")


def _top_level_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as err:
        raise BuildError(f"an instructor's cell is not valid Python (line {err.lineno}: {err.msg}); the grader runs "
                         "setup and test cells as plain Python (no magics)") from None


# ---------------------------------------------------------------------------------------------------------------
# One submission
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class Assembled:
    nb: object
    tests: dict[int, str]  # cell index -> test grade_id
    student_code: list[tuple[str, str]]  # (label, source) of every code cell the student wrote
    problems: dict[str, str]  # answer grade_id -> why it scores zero
    answers: dict[str, str]  # manual answer grade_id -> the student's text
    notes: list[str]  # what was noticed about the cells (decoys, copies, changed metadata)
    instructor_cells: set[int]  # indexes of cells inserted from the source
    labels: list[str] = field(default_factory=list)  # what each cell of ``nb`` is, in words


def belongs_elsewhere(student, assignment: Assignment, solutions_dir: Path | str) -> str | None:
    """None if ``student`` looks like a notebook of ``assignment``; else the status saying what it is."""
    ids = {grade_id(cell) for cell in student.cells} - {None}
    if ids & set(assignment.answers):
        return None
    mark = student.metadata.get("gmg_teach", {}) if isinstance(student.metadata, dict) else {}
    origin = Path(str(mark.get("generated_from", ""))).stem if isinstance(mark, dict) else ""
    best, overlap = origin if origin and origin != assignment.name else None, 0
    if best is None:
        for other in sorted(Path(solutions_dir).glob("*.ipynb")):
            if other.stem == assignment.name:
                continue
            try:
                other_ids = {grade_id(cell) for cell in read_notebook(other).cells} - {None}
            except BuildError:
                continue
            if len(ids & other_ids) > overlap:
                best, overlap = other.stem, len(ids & other_ids)
    if best:
        return f"wrong assignment: this is a notebook of {best}, not {assignment.name}"
    return f"not a notebook of {assignment.name}: none of its answer cells is here"


def assemble(student, assignment: Assignment) -> Assembled:
    """The notebook to run: the student's cells in their order, the instructor's locked cells re-inserted."""
    notes: list[str] = []
    kept: list[tuple[int, object]] = []
    for number, cell in enumerate(student.cells, start=1):
        gid = grade_id(cell)
        if cell.get("cell_type") not in ("code", "markdown", "raw"):
            notes.append(f"cell {number} is not a notebook cell and was skipped")
        elif gid in assignment.instructor_ids:
            if cell.get("source") not in (assignment.released.get(gid), assignment.source.get(gid)):
                notes.append(f"cell {number} carries the grade_id of the instructor's cell {gid!r}: your version was "
                             "replaced by the instructor's")
        else:
            if nbgrader_meta(cell) and gid not in assignment.answers:
                notes.append(f"cell {number} has nbgrader metadata of no cell of {assignment.name}"
                             f"{f' ({gid!r})' if gid else ''}: run as your own code")
            kept.append((number, cell))
    real = _real_answers(kept, assignment, notes)
    problems = {answer: "its cell was deleted" for answer in assignment.answers if answer not in real}
    following = dict(zip([None, *assignment.answers], assignment.answers))
    out = Assembled(nbformat.v4.new_notebook(), {}, [], problems, {}, notes, set(), [])

    def insert_block(anchor):
        """The instructor's cells after ``anchor``; then those of following answers that were deleted."""
        for cell in assignment.blocks[anchor]:
            new = nbformat.from_dict(cell)
            if grade_id(cell) in assignment.tests:
                new.source = assignment.released[grade_id(cell)]  # its helpers, as in the student's kernel
                out.tests[len(out.nb.cells)] = grade_id(cell)
            out.instructor_cells.add(len(out.nb.cells))
            out.labels.append(f"the instructor's cell {grade_id(cell)!r}")
            out.nb.cells.append(new)
        nxt = following.get(anchor)
        if nxt is not None and nxt in problems:
            insert_block(nxt)

    insert_block(None)
    for number, cell in kept:
        new = nbformat.v4.new_code_cell(cell.get("source", "")) if cell.get("cell_type") == "code" else \
            nbformat.v4.new_markdown_cell(cell.get("source", ""))
        out.nb.cells.append(new)
        answer = next((a for a, (n, _) in real.items() if n == number), None)
        out.labels.append(f"your cell {number}" + (f" (answer {answer!r})" if answer else ""))
        if cell.get("cell_type") == "code":
            out.student_code.append((f"cell {number}", cell.get("source", "")))
        if answer in assignment.manual:
            out.answers[answer] = cell.get("source", "")
        if answer is not None:
            insert_block(answer)
    return out


def _real_answers(kept, assignment: Assignment, notes: list[str]) -> dict[str, tuple[int, object]]:
    """answer grade_id -> (cell number, cell) of the cell graded as that answer."""
    candidates: dict[str, list] = {}
    for number, cell in kept:
        gid = grade_id(cell)
        if gid in assignment.answer_type:
            if cell.get("cell_type") != assignment.answer_type[gid]:
                notes.append(f"cell {number} carries the grade_id of answer {gid!r} but is a {cell.get('cell_type')} "
                             f"cell: not graded as {gid!r}")
            else:
                candidates.setdefault(gid, []).append((number, cell))
    real = {}
    for gid, found in candidates.items():
        originals = [(n, c) for n, c in found if c.get("id") == assignment.original_id.get(gid)]
        chosen = originals[0] if len(originals) == 1 else found[-1]
        real[gid] = chosen
        if len(found) > 1:
            others = ", ".join(str(n) for n, _ in found if n != chosen[0])
            notes.append(f"answer {gid!r} appears {len(found)} times: cell {chosen[0]} was graded, cell(s) {others} "
                         "ran as your own code")
        flags = {k: nbgrader_meta(chosen[1]).get(k) for k in ("solution", "grade", "locked")}
        if flags["solution"] is not True or flags["locked"] is True:
            notes.append(f"the nbgrader metadata of answer {gid!r} (cell {chosen[0]}) was changed ({flags}); it was "
                         "graded as your answer")
    return dict(sorted(real.items(), key=lambda item: item[1][0]))
