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
    """Lessons are numbered 01, 02, ... without gaps (a lesson added under another number shows here)."""
    numbers = [int(p.name[:2]) for p in LESSONS]
    assert numbers == list(range(1, len(LESSONS) + 1)) and len(LESSONS) >= 3, [p.name for p in LESSONS]


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
def test_export_html_writes_an_executed_copy_of_every_lesson_and_leaves_them_alone(tmp_path):
    """`gmg-teach export-html`: one HTML page per lesson, executed (figures), no error output; lessons unchanged."""
    before = {lesson: lesson.read_bytes() for lesson in LESSONS}
    done = subprocess.run([sys.executable, "-m", "gmg_teach", "export-html", "--fast", "--notebooks",
                           str(ROOT / "notebooks"), "--out", str(tmp_path)], capture_output=True, text=True,
                          env=dict(os.environ, MPLBACKEND="Agg"), timeout=1800)
    assert done.returncode == 0, done.stderr[-4000:]
    for lesson in LESSONS:
        page = (tmp_path / f"{lesson.stem}.html").read_text(encoding="utf-8")
        title = next(line for line in lesson.read_text(encoding="utf-8").splitlines() if '"# Lesson' in line)
        assert title.split("—")[-1].strip(' ",\\n')[:30] in page  # the prose
        assert "data:image/png;base64" in page  # executed figures, embedded
        assert "jp-RenderedText" in page and "Traceback" not in page and 'data-mime-type="application/vnd.jupyter.stderr"' not in page
        assert lesson.read_bytes() == before[lesson]
    assert f"{len(LESSONS)}/{len(LESSONS)}" in done.stderr  # the progress bar reached the end
