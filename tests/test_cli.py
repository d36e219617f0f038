"""The gmg-teach command: start serves the course folder, show draws a level, errors are one plain line."""

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_start_in_an_empty_folder_copies_the_course_and_becomes_jupyter(tmp_path, monkeypatch, capsys):
    started = []
    monkeypatch.setattr("gmg_teach.cli.exec_command", started.append)  # exec would replace the test process
    monkeypatch.chdir(tmp_path)
    main(["start", "--no-browser"])
    assert (tmp_path / "notebooks" / "01_the_maze.ipynb").is_file() and (tmp_path / "exercises").is_dir()
    assert "Copied" in capsys.readouterr().out
    assert started and f"--ServerApp.root_dir={tmp_path.resolve()}" in started[0]
    (tmp_path / "notebooks" / "01_the_maze.ipynb").write_text("{}", encoding="utf-8")  # a student's edit
    main(["start", "--no-browser", "--quiet"])
    assert (tmp_path / "notebooks" / "01_the_maze.ipynb").read_text(encoding="utf-8") == "{}"
    assert "Kept your notebooks/01_the_maze.ipynb" in capsys.readouterr().out


def test_start_with_a_lesson_that_is_not_there_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("gmg_teach.cli.exec_command", lambda command: pytest.fail("started Jupyter"))
    monkeypatch.chdir(tmp_path)
    assert main(["start", "--notebook", "notebooks/99_none.ipynb", "--quiet"]) == 2
    assert "Cannot find notebooks/99_none.ipynb" in capsys.readouterr().err


def _commands():
    from gmg_teach.cli import build_parser

    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(subparsers.choices)


def test_the_known_commands_are_there():
    assert {"start", "show", "demo", "build-exercises", "grade", "export-html"} <= set(_commands())


@pytest.mark.parametrize("command", _commands())
def test_every_command_help_has_a_description_an_example_defaults_and_quiet(command):
    """Every subcommand, also ones added later: register it with gmg_teach.cli.add_command."""
    out = subprocess.run([sys.executable, "-m", "gmg_teach", command, "--help"], capture_output=True, text=True,
                         check=True).stdout
    usage, description = out.split("\n\n")[:2]
    assert len(description.split()) >= 10, description
    assert "example:\n  " in out and f"gmg-teach {command}" in out.split("example:")[1] and "--quiet" in out
    assert "(default: " in out or command == "start"


def test_demo_progress_bar_counts_every_stage(monkeypatch, capsys):
    from gmg_teach import experiments

    config = experiments.ExperimentConfig.small(0)
    calls = []

    def fake(config, progress):  # the real stages, without the training: the count is what is tested
        for name in experiments.agent_specs():
            progress(f"training {name}")
        for message in ["learning curve", *(f"alpha {a}" for a in config.alphas),
                        *(f"salience {s}" for s in config.colour_saliences), "2x2 table"]:
            progress(message)
        calls.append(config)
        return {}

    monkeypatch.setattr(experiments, "run_experiment", fake)
    monkeypatch.setattr(experiments, "format_report", lambda report: "table")
    assert main(["demo", "--small"]) == 0
    n = experiments.n_stages(config)
    assert calls and f"{n}/{n}" in capsys.readouterr().err


def test_show_prints_a_level_with_a_legend(capsys):
    assert main(["show", "--distribution", "deploy", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "A = agent" in out and "exit sign" in out


def test_bad_input_is_one_plain_line(capsys):
    assert main(["show", "--distribution", "mixture"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gmg-teach: error:") and "needs alpha" in err and "Traceback" not in err
