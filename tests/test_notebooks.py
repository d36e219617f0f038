"""The lessons run top to bottom: every notebook in notebooks/ through nbval (lax mode), on the small budget.

nbval runs in a subprocess so that its plugin and options stay out of the main test session, and so that
``GMG_TEACH_FAST=1`` (the small training budget) reaches the notebook kernels through the environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

pytest.importorskip("nbval", reason="the notebook tests need nbval (pip install nbval)")


def test_lessons_exist():
    names = [p.name for p in LESSONS]
    assert names == ["01_the_maze.ipynb", "02_capabilities_vs_goals.ipynb", "03_unidentifiability.ipynb",
                     "04_gallery.ipynb"], names


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_committed_without_outputs(lesson):
    import nbformat

    nb = nbformat.read(lesson, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{lesson.name}: clear outputs before committing (cells {dirty}); " \
                      "jupyter nbconvert --clear-output --inplace " + str(lesson.relative_to(ROOT))


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_with_nbval(lesson, tmp_path):
    env = dict(os.environ, GMG_TEACH_FAST="1", MPLBACKEND="Agg")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
           "--nbval-cell-timeout=300", "--rootdir", str(tmp_path), str(lesson)]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{lesson.name} failed under nbval:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"


@pytest.mark.slow
def test_export_html_writes_an_executed_copy_and_leaves_the_lesson_alone(tmp_path):
    from gmg_teach.export import export_lesson

    lesson = ROOT / "notebooks" / "02_capabilities_vs_goals.ipynb"
    before = lesson.read_bytes()
    page = export_lesson(lesson, tmp_path, fast=True).read_text(encoding="utf-8")
    assert "Capabilities vs goals" in page and "image/png" in page  # prose and executed figures
    assert lesson.read_bytes() == before
