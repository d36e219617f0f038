"""The installable course: the shipped files, copying them without overwriting, the Colab cell, the extras' messages,
one version; and (slow) the built wheel read file by file, installed in fresh virtual environments."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

import gmg_teach
from gmg_teach import course
from gmg_teach.cli import main

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SECRET_MARKS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden_check(")
EXTRA_COMMANDS = {  # subcommand (with the arguments it needs) -> the extra it names when a module is missing
    ("start",): "course",
    ("build-exercises",): "instructor",
    ("grade", "x.ipynb", "--assignment", "01_the_maze", "--out", "g.csv"): "instructor",
    ("export-html",): "instructor",
}


def test_the_course_is_found_with_lessons_exercises_expected_values_and_glossary():
    files = {p.as_posix() for p in course.course_files(course.course_source())}
    assert {f"notebooks/{p.name}" for p in LESSONS} <= files and "notebooks/GLOSSARY.md" in files
    for exercise in (ROOT / "exercises").glob("*.ipynb"):
        assert f"exercises/{exercise.name}" in files
    assert {f"exercises/{p.name}" for p in (ROOT / "exercises").glob("*.expected.json")} <= files
    assert not any("solution" in f or f.endswith(".py") for f in files)


def test_copy_course_fills_a_folder_and_never_overwrites_an_edit(tmp_path):
    first = course.copy_course(tmp_path, ROOT)
    assert len(first.copied) == len(course.course_files(ROOT)) and not first.kept
    lesson = tmp_path / "notebooks" / LESSONS[0].name
    edited = lesson.read_text(encoding="utf-8").replace("Lesson 1", "Lesson 1 (my notes)", 1)
    lesson.write_text(edited, encoding="utf-8")
    (tmp_path / "exercises" / "01_the_maze.ipynb").unlink()
    again = course.copy_course(tmp_path, ROOT)
    assert again.copied == [Path("exercises/01_the_maze.ipynb")] and again.kept == [lesson.relative_to(tmp_path)]
    assert lesson.read_text(encoding="utf-8") == edited
    assert any("Kept your notebooks/01" in line and "overwritten" in line for line in again.lines())


def test_every_lesson_opens_with_the_colab_cell():
    assert LESSONS
    for lesson in LESSONS:
        assert course.has_colab_cell(json.loads(lesson.read_text(encoding="utf-8"))), (
            f"{lesson.name}: run `python -m gmg_teach.course notebooks/` to add the Colab cell")


def test_add_colab_cell_is_idempotent_and_replaces_an_old_version(tmp_path):
    target = tmp_path / "99_new.ipynb"
    notebook = json.loads(LESSONS[0].read_text(encoding="utf-8"))
    notebook["cells"] = [c for c in notebook["cells"] if c.get("id") != course.COLAB_CELL_ID]
    target.write_text(json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    assert course.add_colab_cell(target) is True
    once = target.read_bytes()
    assert course.add_colab_cell(target) is False and target.read_bytes() == once
    nb = json.loads(once)
    assert course.has_colab_cell(nb) and len(nb["cells"]) == len(notebook["cells"]) + 1
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    code[0]["source"] = ["# an old version\n"]
    nb["cells"].append(nb["cells"].pop(nb["cells"].index(code[0])))  # and moved to the end
    target.write_text(json.dumps(nb, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert course.add_colab_cell(target) is True and target.read_bytes() == once


def test_the_colab_cell_does_nothing_where_the_package_is_installed(monkeypatch):
    ran = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: ran.append(a))
    exec(course.COLAB_CELL, {})
    assert ran == []


@pytest.mark.parametrize("argv, extra", list(EXTRA_COMMANDS.items()), ids=lambda v: v[0] if isinstance(v, tuple) else v)
def test_a_missing_extra_is_one_line_naming_it(argv, extra, monkeypatch, tmp_path, capsys):
    from importlib.util import find_spec

    missing = {"jupyterlab", "nbgrader", "nbformat", "nbclient", "nbconvert"}
    monkeypatch.setattr("gmg_teach.extras.find_spec", lambda name: None if name in missing else find_spec(name))
    monkeypatch.setattr("gmg_teach.cli.exec_command", lambda command: pytest.fail("started Jupyter"))
    monkeypatch.chdir(tmp_path)
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f'pip install "gmg-teach[{extra}]"' in err and "Traceback" not in err


def test_a_module_missing_deep_inside_a_command_is_one_line_too(monkeypatch, capsys):
    def handler(args):
        raise ModuleNotFoundError("No module named 'nbclient'", name="nbclient")

    monkeypatch.setattr("gmg_teach.cli.run_show", handler)  # the parser is built in main(), after this
    assert main(["show"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'gmg-teach show needs nbclient' in err and "[instructor]" in err


def test_one_version_everywhere():
    from importlib.metadata import version

    assert re.fullmatch(r"\d+\.\d+\.\d+", gmg_teach.__version__)
    assert "dynamic" in (ROOT / "pyproject.toml").read_text() and "__version__" in (ROOT / "pyproject.toml").read_text()
    assert f"\nversion: {gmg_teach.__version__}\n" in (ROOT / "CITATION.cff").read_text()
    assert f"## [{gmg_teach.__version__}]" in (ROOT / "CHANGELOG.md").read_text()
    if version("gmg-teach") != gmg_teach.__version__:
        pytest.skip("the installed metadata predates a version bump: reinstall (pip install -e .)")


# --- slow: the wheel, read and installed -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The sdist and the wheel, built the way a release is (python -m build: the wheel is built from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], check=True,
                   capture_output=True, text=True)
    return next(out.glob("*.whl")), next(out.glob("*.tar.gz"))


@pytest.mark.slow
def test_the_wheel_ships_the_course_and_no_solution(dist):
    wheel, sdist = dist
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        texts = {n: z.read(n).decode("utf-8", "replace") for n in names}
    with tarfile.open(sdist) as t:
        sdist_texts = {m.name: t.extractfile(m).read().decode("utf-8", "replace") for m in t.getmembers() if m.isfile()}
    expected = course.course_files(ROOT)
    for path in expected:
        shipped = f"gmg_teach/course_files/{path.as_posix()}"
        assert texts[shipped] == (ROOT / path).read_text(encoding="utf-8"), shipped
    assert sorted(n for n in names if n.startswith("gmg_teach/course_files/")) == sorted(
        f"gmg_teach/course_files/{p.as_posix()}" for p in expected)  # what ships is what start copies
    packages = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "gmg_teach").rglob("__init__.py")}
    assert all(f"{pkg}/__init__.py" in names for pkg in packages)
    assert "gmg_teach/py.typed" in names and any(n.endswith("licenses/LICENSE") for n in names)
    metadata = next(v for n, v in texts.items() if n.endswith(".dist-info/METADATA"))
    assert "License-Expression: MIT" in metadata and "Project-URL: Source" in metadata
    assert f"Version: {gmg_teach.__version__}\n" in metadata
    for extra in ("course", "instructor", "network", "sb3"):
        assert f"Provides-Extra: {extra}\n" in metadata
    for name, text in {**texts, **sdist_texts}.items():
        assert "solutions/" not in name and not name.endswith(".bugs.py") and "/tests/" not in name, name
        if name.endswith((".ipynb", ".json", ".md")):
            assert not any(mark in text for mark in SECRET_MARKS), f"{name} holds solution or hidden-test material"
    print(f"wheel {wheel.stat().st_size / 1024:.0f} kB, sdist {sdist.stat().st_size / 1024:.0f} kB")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(venv: Path, folder: Path):
    """`gmg-teach start --no-browser` in folder; returns the process, its port and the first lines it printed."""
    port = _free_port()
    env = {**os.environ, "JUPYTER_TOKEN": "test-token", "PYTHONPATH": ""}
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.Popen([str(venv / "bin" / "gmg-teach"), "start", "--no-browser", "--port", str(port)],
                            cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, port


def _get(port: int, path: str) -> int:
    url = f"http://127.0.0.1:{port}{path}?token=test-token"
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status


def _wait_for_server(proc, port, seconds=120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        try:
            _get(port, "/api/status")
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("Jupyter did not answer")


def _stop(proc) -> None:
    """SIGTERM to `gmg-teach start` itself must stop Jupyter (start became Jupyter: exec, no orphan)."""
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


@pytest.mark.slow
def test_fresh_installs_name_their_extras_and_start_serves_the_course_without_losing_edits(dist, tmp_path):
    wheel, _ = dist
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    started = time.perf_counter()
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True)
    core_seconds = time.perf_counter() - started
    folder = tmp_path / "class"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    for argv, extra in EXTRA_COMMANDS.items():  # the engine alone: each command names its extra, in one line
        out = subprocess.run([str(venv / "bin" / "gmg-teach"), *argv], cwd=folder, env=env, capture_output=True,
                             text=True)
        assert out.returncode == 2 and out.stderr.count("\n") == 1, (argv, out.stderr)
        assert f'gmg-teach[{extra}]' in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run([str(venv / "bin" / "gmg-teach"), "show"], cwd=folder, env=env, capture_output=True,
                         text=True, check=True)
    assert "A = agent" in out.stdout  # the engine needs no extra
    assert not any(folder.iterdir())

    started = time.perf_counter()
    subprocess.run([*pip, f"{wheel}[course]"], check=True, capture_output=True)
    course_seconds = time.perf_counter() - started
    proc, port = _serve(venv, folder)
    try:
        _wait_for_server(proc, port)
        assert _get(port, "/api/contents/notebooks/01_the_maze.ipynb") == 200
        assert _get(port, "/api/contents/exercises/01_the_maze.ipynb") == 200
        assert _get(port, "/lab/tree/notebooks/01_the_maze.ipynb") == 200
    finally:
        _stop(proc)
    with pytest.raises(OSError):
        _get(port, "/api/status")
    first = proc.stdout.read()
    assert "Copied" in first and (folder / "exercises" / "01_the_maze.expected.json").is_file()

    lesson = folder / "notebooks" / "01_the_maze.ipynb"
    edited = lesson.read_text(encoding="utf-8").replace("Lesson 1", "Lesson 1 (my notes)", 1)
    lesson.write_text(edited, encoding="utf-8")
    proc, port = _serve(venv, folder)
    try:
        _wait_for_server(proc, port)
        assert _get(port, "/api/contents/notebooks/01_the_maze.ipynb") == 200
    finally:
        _stop(proc)
    second = proc.stdout.read()
    assert lesson.read_text(encoding="utf-8") == edited
    assert "Kept your notebooks/01_the_maze.ipynb" in second and "Copied" not in second
    print(f"fresh venv install: engine {core_seconds:.0f} s, + [course] {course_seconds:.0f} s (wall)")
