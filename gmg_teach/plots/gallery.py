"""Figures for lesson 4's gallery: a policy field over a building with marked tiles, and the examples' rates."""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ..world.levels import DELTAS
from .maze import _below_legend, plot_building


def plot_place_field(walls, moves, marks: Sequence[Mapping], decision=None, ax=None, title: str | None = None):
    """The agent's greedy move from every tile as an arrow, over the building.

    Args:
        walls: the building.
        moves: ``(tiles,)`` the move from each tile (-1: none drawn).
        marks: things to draw, each ``{"tile", "colour" (hex), "marker", "letter", "label"}`` (label names the
            colour in words).
        decision: tiles to hatch as decision tiles (boolean over tiles), or None.
    """
    walls = np.asarray(walls)
    ax = plot_building(walls, ax=ax, title=title)
    width = walls.shape[1]
    handles = []
    if decision is not None and np.any(decision):
        for tile in np.flatnonzero(decision):
            r, c = divmod(int(tile), width)
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="#DDDDDD", edgecolor="black", hatch="///",
                                   linewidth=0.6, zorder=1, gid="decision tile"))
        handles.append(Patch(facecolor="#DDDDDD", edgecolor="black", hatch="///", label="decision tile"))
    moves = np.asarray(moves)
    tiles = np.flatnonzero(moves >= 0)
    rows, cols = np.divmod(tiles, width)
    delta = np.array(DELTAS)[moves[tiles]]
    ax.quiver(cols, rows, delta[:, 1], delta[:, 0], angles="xy", scale_units="xy", scale=1 / 0.6, pivot="middle",
              color="black", width=0.006, headwidth=4, zorder=6, gid="policy arrows")
    for m in marks:
        r, c = divmod(int(m["tile"]), width)
        ax.plot(c, r, marker=m["marker"], markersize=14, markerfacecolor=m["colour"], markeredgecolor="black",
                linestyle="none", zorder=7)
        ax.text(c, r, m["letter"], ha="center", va="center", fontsize=8, fontweight="bold", zorder=8)
        handles.append(Line2D([], [], marker=m["marker"], markersize=10, markerfacecolor=m["colour"],
                              markeredgecolor="black", linestyle="none", label=f"{m['letter']}: {m['label']}"))
    handles.append(Line2D([], [], color="black", marker=r"$\rightarrow$", linestyle="none", markersize=12,
                          label="the agent's move from that tile"))
    _below_legend(ax, handles, 1)
    return ax


def plot_gallery_rates(report: Mapping, ax=None):
    """Per example, the shift's intended and proxy rates (with CIs over seeds) of the misgeneralizing agent and its
    control: bars hatched differently and labelled, so colour is never the only cue."""
    from ..world.palette import HEX, Colour

    examples = report["examples"]
    ax = ax or plt.subplots(figsize=(8, 3.5))[1]
    x = np.arange(len(examples))
    bars = [("misgeneralizing", "proxy", HEX[Colour.ORANGE], "//", "misgeneralizing agent: proxy (orange, //)"),
            ("misgeneralizing", "intended", HEX[Colour.BLUE], "", "misgeneralizing agent: intended (blue)"),
            ("control", "proxy", HEX[Colour.ORANGE], "xx", "control: proxy (orange, xx)"),
            ("control", "intended", HEX[Colour.GREEN], "..", "control: intended (bluish green, ..)")]
    for i, (role, goal, colour, hatch, label) in enumerate(bars):
        mean = np.array([e[role]["shift"][goal][0] for e in examples.values()])
        lo = np.array([e[role]["shift"][goal][1] for e in examples.values()])
        hi = np.array([e[role]["shift"][goal][2] for e in examples.values()])
        ax.bar(x + (i - 1.5) * 0.2, mean, 0.2, yerr=[mean - lo, hi - mean], color=colour, hatch=hatch,
               edgecolor="black", label=label, capsize=2)
    ax.set_xticks(x, [e["title"] for e in examples.values()])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of episodes on the shift")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    return ax
