"""Executed HTML copies of the lessons, for instructors who want to post them.

``gmg-teach export-html`` runs every lesson in ``notebooks/`` top to bottom in a fresh kernel (nbclient) and writes
``html/<lesson>.html`` (nbconvert). The notebooks themselves are not changed. Widget state is stored in the page,
so a live panel shows the result of its first run. ``--fast`` uses the small budget of the test suite
(``GMG_TEACH_FAST=1``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def lessons(folder: str | Path = "notebooks") -> list[Path]:
    """The lesson notebooks in ``folder`` (``NN_name.ipynb``), in order."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def export_lesson(path: str | Path, out_dir: str | Path = "html", timeout: int = 600, fast: bool = False) -> Path:
    """Execute one lesson in a fresh kernel and write it as HTML; returns the HTML file's path."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    path, out_dir = Path(path), Path(out_dir)
    notebook = nbformat.read(path, as_version=4)
    previous = os.environ.get("GMG_TEACH_FAST")
    os.environ["GMG_TEACH_FAST"] = "1" if fast else "0"  # the kernel inherits this environment
    try:
        NotebookClient(notebook, timeout=timeout, kernel_name="python3", store_widget_state=True,
                       resources={"metadata": {"path": str(path.parent.resolve())}}).execute()
    finally:
        if previous is None:
            os.environ.pop("GMG_TEACH_FAST", None)
        else:
            os.environ["GMG_TEACH_FAST"] = previous
    body, _ = HTMLExporter().from_notebook_node(notebook)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / (path.stem + ".html")
    target.write_text(body, encoding="utf-8")
    return target


def add_export(sub) -> None:
    from .cli import add_command

    p = add_command(sub, "export-html", help="run every lesson and write an executed HTML copy of each to html/",
                    description="Run every lesson (notebooks/NN_name.ipynb) top to bottom in a fresh kernel and "
                    "write an executed HTML copy of each, figures included, so the course can be read before "
                    "installing anything. The notebooks themselves are not changed. Needs the [instructor] extra.",
                    example="gmg-teach export-html --fast --out html")
    p.add_argument("--notebooks", default="notebooks", help="folder with the lessons (default: notebooks)")
    p.add_argument("--out", default="html", help="folder for the HTML files (default: html)")
    p.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    p.add_argument("--fast", action="store_true", help="small training budget (as in the tests)")
    p.set_defaults(handler=run_export)


def run_export(args) -> int:
    from .cli import progress_bar
    from .extras import require

    require("gmg-teach export-html", "nbformat", "nbclient", "nbconvert", "ipykernel", extra="instructor")
    found = lessons(args.notebooks)
    if not found:
        raise ValueError(f"No lessons (NN_name.ipynb) in {args.notebooks!r}: run this from the course folder.")
    with progress_bar(args, len(found), "lessons", unit="lesson") as bar:
        for lesson in found:
            bar.set_postfix_str(lesson.name)
            started = time.perf_counter()
            target = export_lesson(lesson, args.out, timeout=args.timeout, fast=args.fast)
            bar.write(f"{lesson} -> {target} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
            bar.update(1)
    return 0
