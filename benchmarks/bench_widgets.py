"""Benchmark: how long a student waits after pressing Train in the "train live" panel, and for each figure.

The panel promises a full retrain in about a second. This times, with the default settings (3000 episodes, 200
training levels, 2 x 100 held-out levels), the pieces of one press: training with the live learning curve
(rollouts after each chunk), the live curve PNGs, the summary figure PNG; then every figure of ``gmg_teach.plots``
drawn to PNG. Medians of 3 runs, after one warm-up run that compiles (and caches) the levels.

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

from gmg_teach import compile_levels, get_distribution, plots, rollout, widgets  # noqa: E402
from gmg_teach.animation import episode_html  # noqa: E402

REPEATS = 3


def timed(function) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def press_train() -> None:
    """One press of Train, rendering every PNG a notebook would receive (the display itself is skipped)."""
    with mock.patch.object(widgets, "has_widget_front_end", lambda: True), \
            mock.patch("IPython.display.display", lambda *args, **kwargs: None), \
            contextlib.redirect_stdout(io.StringIO()):
        panel = widgets.TrainLivePanel(train_now=False)
        panel.on_train_clicked()


def main() -> None:
    widgets.run_training()  # warm-up: compiles and caches the levels
    print(f"run_training (train + held-out curve):  {timed(widgets.run_training):.2f} s")
    print(f"one press of Train, with all PNGs:      {timed(press_train):.2f} s")

    result = widgets.run_training()
    deploy = compile_levels(get_distribution("deploy").levels(20, 3))
    played = rollout(result.agent, deploy, seed=0)
    level = deploy.levels[0]

    def png(draw):
        def run():
            ax = draw()
            figure = ax.figure if hasattr(ax, "figure") else ax.flat[0].figure
            widgets.figure_png(figure)
            plt.close("all")
        return run

    figures = {
        "level": lambda: plots.plot_level(level),
        "trajectories (5)": lambda: plots.plot_trajectories(level, [played.path(0)] * 5),
        "policy + values": lambda: plots.plot_policy(result.agent, level, values=True),
        "cue weights": lambda: plots.plot_cue_weights(result.agent),
        "outcome bars": lambda: plots.plot_outcomes({"train": result.held_out_rates, "deploy": result.deploy_rates}),
        "learning curves": lambda: plots.plot_learning_curves(result.curve),
        "2x2": lambda: plots.plot_two_by_two({k: {"level": deploy.levels[i], "path": played.path(i),
                                                   "rates": played.rates()} for i, k in enumerate("abcd")}),
    }
    for name, draw in figures.items():
        print(f"figure {name + ':':<20} {timed(png(draw)):.2f} s")
    print(f"episode animation (jshtml): {timed(lambda: episode_html(level, played.path(0))):.2f} s "
          f"({len(played.path(0))} frames)")


if __name__ == "__main__":
    main()
