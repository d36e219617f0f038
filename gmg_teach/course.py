"""The course as files: where the lessons and exercises are, copying them to a student's folder, the Colab cell.

The sources are ``notebooks/`` and ``exercises/`` at the top of the repository. The wheel ships them as package data
in ``gmg_teach/course_files/`` (the mapping is in ``setup.py``; solutions never ship). :func:`course_source` finds either.
:func:`copy_course` puts a fresh copy in a student's folder and never overwrites a file the student has.

Every lesson opens with :data:`COLAB_CELL`, which installs the package when it is missing (Google Colab, or any
kernel without it) and does nothing in a local install. :func:`add_colab_cell` puts it first, once; run it over new
lessons with ``python -m gmg_teach.course notebooks/``.
"""

from __future__ import annotations

import filecmp
import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

PARTS = ("notebooks", "exercises")  # the course's folders, as a student sees them
PATTERNS = ("[0-9][0-9]_*.ipynb", "[0-9][0-9]_*.expected.json", "*.md", "*.png", "*.gif")  # = package-data
FIRST_LESSON = "notebooks/01_the_maze.ipynb"


def course_source() -> Path:
    """The folder holding ``notebooks/`` and ``exercises/``: the installed package data, or the source checkout."""
    here = Path(__file__).resolve().parent
    for root in (here / "course_files", here.parent):  # a wheel install; an editable install of a checkout
        if all((root / part).is_dir() for part in PARTS) and (root / FIRST_LESSON).is_file():
            return root
    raise FileNotFoundError("This installation of gmg-teach has no course files (notebooks/, exercises/). Reinstall "
                            "it from a wheel or a checkout of the repository: pip install 'gmg-teach[course]'.")


def course_files(root: Path) -> list[Path]:
    """The course's files under ``root``, relative to it, in order."""
    found = {path.relative_to(root) for part in PARTS for pattern in PATTERNS for path in (root / part).glob(pattern)}
    return sorted(found)


@dataclass
class CopyReport:
    copied: list[Path] = field(default_factory=list)  # new in the folder
    kept: list[Path] = field(default_factory=list)  # the student's own version differs from the shipped one: kept

    def lines(self) -> list[str]:
        out = []
        if self.copied:
            out.append(f"Copied {len(self.copied)} course files here (notebooks/, exercises/).")
        out += [f"Kept your {path.as_posix()} (it differs from the shipped copy; nothing of yours is overwritten: "
                "rename it and run start again for a fresh one)." for path in self.kept]
        return out


def copy_course(target: Path | str, source: Path | str | None = None) -> CopyReport:
    """Copy every course file missing from ``target``; a file that is there already is never touched."""
    target = Path(target).resolve()
    source = Path(source).resolve() if source is not None else course_source()
    report = CopyReport()
    if source == target:
        return report
    for rel in course_files(source):
        there = target / rel
        if not there.exists():
            there.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / rel, there)
            report.copied.append(rel)
        elif not filecmp.cmp(source / rel, there, shallow=False):
            report.kept.append(rel)
    return report


COLAB_CELL_ID = "colab-install"
COLAB_CELL = """\
# On Google Colab (or any Jupyter without the course), this installs gmg-teach first; Colab has the widgets.
# In a local install it does nothing.
import importlib.util, subprocess, sys
if importlib.util.find_spec("gmg_teach") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "gmg-teach"], check=True)"""


def add_colab_cell(path: Path | str) -> bool:
    """Make :data:`COLAB_CELL` the first code cell of the notebook at ``path``; ``False`` if it already was.

    Idempotent: the cell is found by its id (``colab-install``) and rewritten in place if its text changed. The file
    is written as Jupyter writes it (one-space indent, a final newline), outputs untouched.
    """
    path = Path(path)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = notebook["cells"]
    wanted = {"cell_type": "code", "execution_count": None, "id": COLAB_CELL_ID, "metadata": {"tags": ["colab"]},
              "outputs": [], "source": COLAB_CELL.splitlines(keepends=True)}
    if notebook.get("nbformat_minor", 0) < 5 and notebook.get("nbformat") == 4:
        wanted.pop("id")
    code = [i for i, cell in enumerate(cells) if cell["cell_type"] == "code"]
    existing = [i for i, cell in enumerate(cells) if cell.get("id") == COLAB_CELL_ID]
    if existing and code and existing[0] == code[0] and cells[code[0]] == wanted:
        return False
    for i in reversed(existing):
        del cells[i]
    code = [i for i, cell in enumerate(cells) if cell["cell_type"] == "code"]
    cells.insert(code[0] if code else len(cells), wanted)
    path.write_text(json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


def has_colab_cell(notebook: dict) -> bool:
    """True if the notebook's first code cell is :data:`COLAB_CELL`."""
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    return bool(code) and "".join(code[0]["source"]) == COLAB_CELL


def main(argv: list[str] | None = None) -> int:
    """``python -m gmg_teach.course FOLDER_OR_NOTEBOOK...``: add the Colab cell to every lesson given."""
    paths = [Path(a) for a in (argv if argv is not None else sys.argv[1:])] or [Path("notebooks")]
    for given in paths:
        for lesson in sorted(given.glob("[0-9][0-9]_*.ipynb")) if given.is_dir() else [given]:
            print(f"{'added the Colab cell to' if add_colab_cell(lesson) else 'already first:'} {lesson}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
