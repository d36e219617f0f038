"""Figures of Lesson 5 (what helps): the uncertain agent's asks, probes. (Its evidence sweep is
``results.plot_evidence_sweep``, Lesson 3's.)

Like ``results.py``: every function draws data computed elsewhere (``experiments.py``, ``measure/``), takes an
optional ``ax``, returns it, and never calls ``plt.show()``. Colours are Okabe-Ito and every series also has its
own marker or line style and is named in words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from ..world.palette import HEX, Colour

__all__ = ["plot_ask_rate_vs_alpha", "plot_best_probabilities", "plot_probe_curves"]

LEGEND_FONTSIZE = 9
BLUE, ORANGE, GREEN, GREY = HEX[Colour.BLUE], HEX[Colour.ORANGE], HEX[Colour.GREEN], "#999999"
SERIES = [("black", "s", "-"), (BLUE, "o", "--"), (ORANGE, "^", ":"), (GREEN, "D", "-.")]
WORDS = {"black": "black", BLUE: "blue", ORANGE: "orange", GREEN: "bluish green"}
SHAPES = {"s": "squares", "o": "discs", "^": "triangles", "D": "diamonds"}
LINES = {"-": "solid", "--": "dashed", ":": "dotted", "-.": "dash-dot"}
"""Every series is told apart by colour, marker and line style, and names all three in words in its legend."""


def _ax(ax, figsize=(6, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plot_best_probabilities(best: Mapping[str, np.ndarray], confidence: float, ax=None):
    """Histograms of the largest P(object is best) per level, one per level set (``{"train": array, ...}``), with
    the ask threshold: levels left of it are the ones the agent asks on."""
    ax = _ax(ax)
    bins = np.linspace(0, 1, 41)
    for (colour, _, style), (name, values) in zip(SERIES, best.items()):
        values = np.asarray(values, float)
        ax.hist(values, bins=bins, histtype="step", color=colour, linestyle=style, linewidth=2,
                weights=np.full(len(values), 1 / max(len(values), 1)),
                label=f"{name} levels ({np.mean(values < confidence):.0%} below the line: it asks; "
                      f"{WORDS[colour]}, {LINES[style]})")
    ax.axvline(confidence, color=GREY, linestyle="--", linewidth=1,
               label=f"asks left of confidence {confidence:g} (grey, dashed)")
    ax.set_xlabel("largest posterior probability that one object is the best here")
    ax.set_ylabel("share of levels")
    ax.legend(fontsize=LEGEND_FONTSIZE, loc="upper left")
    ax.set_title("Is the posterior split on this level?")
    return ax


def plot_ask_rate_vs_alpha(rows: Sequence[Mapping], ax=None):
    """Ask rate and exit rate (asks answered) on deploy levels against alpha. ``rows``: ``what_helps``'s
    ``ask_rate_vs_alpha`` (each with ``alpha``, ``deploy_ask`` and ``deploy_exit_with_asks`` as
    ``{"mean", "per_seed"}``)."""
    ax = _ax(ax)
    xs = np.array([r["alpha"] for r in rows], float)
    for key, (colour, marker, style), words in (("deploy_ask", SERIES[1], "asks per deploy episode"),
                                                ("deploy_exit_with_asks", SERIES[0],
                                                 "deploy: share reaching the exit (asks answered)")):
        ax.plot(xs, [r[key]["mean"] for r in rows], color=colour, marker=marker, linestyle=style,
                label=f"{words} ({WORDS[colour]}, {SHAPES[marker]}, {LINES[style]})")
        for xv, r in zip(xs, rows):
            ax.scatter([xv] * len(r[key]["per_seed"]), r[key]["per_seed"], color=colour, marker=marker, s=10,
                       alpha=0.35)
    ax.set_xscale("symlog", linthresh=1e-3)
    ax.set_xticks(xs, [f"{x:g}" for x in xs])
    ax.minorticks_off()
    ax.set_xlabel("alpha: fraction of training levels that are distinguishing")
    ax.set_ylabel("share of deploy episodes")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(fontsize=LEGEND_FONTSIZE, loc="center right", title="line: mean over seeds; dots: seeds",
              title_fontsize=LEGEND_FONTSIZE)
    ax.set_title("It asks only while its training left the goal open")
    return ax


def plot_probe_curves(chosen: Sequence[Sequence[float]], randomly: Sequence[Sequence[float]], target: float,
                      ax=None):
    """P(exit best on deploy levels) against the number of answered probes: one line per run, chosen probes and
    random probes, with the target."""
    ax = _ax(ax)
    for runs, (colour, marker, style), words in ((chosen, SERIES[0], "chosen: the most informative level"),
                                                 (randomly, SERIES[2], "random levels from the same pool")):
        for i, run in enumerate(runs):
            ax.plot(np.arange(len(run)), run, color=colour, marker=marker, linestyle=style, markersize=4,
                    alpha=0.8 if runs is chosen else 0.45,
                    label=f"{words} ({WORDS[colour]}, {SHAPES[marker]}, {LINES[style]})" if i == 0 else None)
    ax.axhline(target, color=GREY, linestyle="--", linewidth=1)
    ax.text(ax.get_xlim()[1], target, f"identified: {target:g} ", fontsize=LEGEND_FONTSIZE, va="bottom",
            ha="right", color="#555555")
    ax.set_xlabel("probe levels answered")
    ax.set_ylabel("posterior P(the exit is best), deploy levels")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=LEGEND_FONTSIZE, loc="lower right")
    ax.set_title("Probes that split the hypotheses")
    return ax
