"""The gmg-teach command: start serves the course folder, show draws a level, errors are one plain line."""

import subprocess
import sys
from pathlib import Path

from gmg_teach.cli import jupyter_lab_command, main

ROOT = Path(__file__).resolve().parents[1]


def test_start_serves_the_course_folder_and_lands_on_the_lesson():
    command = jupyter_lab_command(ROOT, Path("notebooks/01_the_maze.ipynb"), 8899, True, ["--ServerApp.token=x"])
    assert f"--ServerApp.root_dir={ROOT}" in command  # notebooks/ and exercises/ both reachable
    assert "--LabApp.default_url=/lab/tree/notebooks/01_the_maze.ipynb" in command  # the printed URL lands here
    assert "--port=8899" in command and "--no-browser" in command and command[-1] == "--ServerApp.token=x"


def test_start_help_lists_its_options():
    out = subprocess.run([sys.executable, "-m", "gmg_teach", "start", "--help"], capture_output=True, text=True)
    assert "--no-browser" in out.stdout and "--port" in out.stdout and "passed on to `jupyter lab`" in out.stdout


def test_start_outside_the_course_folder_says_where_to_run_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["start"]) == 2
    assert "Run `gmg-teach start` from the course folder" in capsys.readouterr().err


def test_show_prints_a_level_with_a_legend(capsys):
    assert main(["show", "--distribution", "deploy", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "A = agent" in out and "exit sign" in out


def test_bad_input_is_one_plain_line(capsys):
    assert main(["show", "--distribution", "mixture"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gmg-teach: error:") and "needs alpha" in err and "Traceback" not in err
