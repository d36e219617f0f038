"""Benchmark: how long a student waits after pressing Train or moving a steering slider, and for each figure.

Times, with the default settings (the course's 1000 training episodes, 200 held-out episodes per measurement):
training with the live record (held-out rollouts at every checkpoint); one press of Train with every PNG a notebook
would receive; one steering redraw; then every figure of ``gmg_teach.plots.maze`` drawn to PNG, and the episode
animation. Medians of 3 runs, after one warm-up run that compiles (and caches) the held-out episodes.

    python benchmarks/bench_widgets.py
"""

from __future__ import annotations

import contextlib
import io
import statistics
import time
from unittest import mock

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from gmg_teach import plots, rollout, widgets  # noqa: E402
from gmg_teach.animation import episode_html  # noqa: E402
from gmg_teach.measure.decisions import exit_probability_by_decision_tile  # noqa: E402

REPEATS = 3


def timed(function) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def as_if_in_jupyter():
    """Make the panels render every PNG as they would in a notebook (the display itself is skipped)."""
    stack = contextlib.ExitStack()
    stack.enter_context(mock.patch.object(widgets, "has_widget_front_end", lambda: True))
    stack.enter_context(mock.patch("IPython.display.display", lambda *args, **kwargs: None))
    stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
    return stack


def press_train() -> None:
    with as_if_in_jupyter():
        widgets.TrainLivePanel().on_train_clicked()


def main() -> None:
    result = widgets.run_training()  # warm-up: compiles and caches the held-out episodes
    print(f"run_training (train + live record):      {timed(widgets.run_training):.2f} s "
          f"({len(result.rows)} rows)")
    print(f"one press of Train, with all PNGs:       {timed(press_train):.2f} s")
    level = result.deploy.levels[0]
    with as_if_in_jupyter():  # (prints nothing inside: stdout is captured there)
        panel = widgets.SteeringPanel(result.agent, level)
        steering = timed(panel.on_change)
    print(f"one steering slider move, with its PNG:  {steering:.2f} s")

    played = rollout(result.agent, result.deploy, seed=0)

    def png(draw):
        def run():
            ax = draw()
            widgets.figure_png(ax.figure)
            plt.close("all")
        return run

    figures = {
        "level": lambda: plots.plot_level(level),
        "trajectories (5)": lambda: plots.plot_trajectories(level, [played.path(0)] * 5),
        "value map": lambda: plots.plot_value_map(result.agent, level),
        "policy field": lambda: plots.plot_policy_field(result.agent, result.deploy, 0),
        "P(exit | decision tile)": lambda: plots.plot_exit_probability(exit_probability_by_decision_tile(played),
                                                                        level.walls),
        "goal weights": lambda: plots.plot_goal_weights(result.agent),
        "learning curve": lambda: plots.plot_learning_curve(result.rows),
        "outcome bars": lambda: plots.plot_outcomes({"deploy": played.rates()}),
    }
    for name, draw in figures.items():
        print(f"figure {name + ':':<26} {timed(png(draw)):.2f} s")
    print(f"episode animation (embedded GIF): {timed(lambda: episode_html(level, played.path(0))):.2f} s "
          f"({len(played.path(0))} frames)")


if __name__ == "__main__":
    main()
