"""Figures for the lessons: levels, paths, what an agent learned, outcome bars, learning curves, the 2x2 table.

Every function draws on a matplotlib ``ax`` (made for you if you pass none), returns it, and never calls
``plt.show()``: the notebook decides when to show, and tests can draw headless and inspect what was drawn.

The functions take *plain data* (levels, lists of tiles, dicts of rates, lists of dicts) rather than experiment
objects, so they draw whatever an experiment returns.

Accessibility: the lesson hinges on "green", so every object is drawn in the Okabe-Ito palette *and* marked by
shape (square sign = exit, disc = apple) *and* by the letter of its colour, and legends name colours in words.
:func:`simulate_deuteranopia` lets you (and a test) check that the palette survives red-green colour blindness.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch, Polygon, Rectangle

from .agents.observations import Cues
from .agents.planning import value_iteration
from .world.levels import DELTAS, Level
from .world.palette import (
    AGENT_HEX,
    AGENT_LETTER,
    COLOUR_WORDS,
    FLOOR_HEX,
    HEX,
    LETTER,
    RGB,
    SHAPE,
    WALL_HEX,
    Colour,
    Kind,
    describe,
    object_char,
)
from .world.tables import compile_levels

OUTCOMES = ("exit", "green_apple", "other_apple", "none")

# How each episode outcome is named and drawn. Each has its own marker *and* fill, so no colour is needed to tell
# them apart; the fills reuse the object palette (green apple = bluish green, other apple = orange).
OUTCOME_WORDS = {
    "exit": "reached the exit sign",
    "green_apple": "reached a green apple",
    "other_apple": "reached another apple",
    "none": "reached nothing (step limit)",
}
OUTCOME_SHORT = {"exit": "exit", "green_apple": "green apple", "other_apple": "other apple", "none": "nothing"}
OUTCOME_MARKER = {"exit": "*", "green_apple": "X", "other_apple": "P", "none": "x"}
OUTCOME_FILL = {"exit": WALL_HEX, "green_apple": HEX[Colour.GREEN], "other_apple": HEX[Colour.ORANGE], "none": "white"}
OUTCOME_HATCH = {"exit": "", "green_apple": "", "other_apple": "..", "none": "//"}

ACTION_WORDS = ("up", "right", "down", "left")


# --------------------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------------------


def _get_ax(ax, figsize=(5, 5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _check_level(level) -> Level:
    if not isinstance(level, Level):
        raise TypeError(f"Expected a Level (e.g. get_distribution('train').level(0)); got {type(level).__name__}.")
    return level


def tile_to_rc(level: Level, tile: int) -> tuple[int, int]:
    """Row and column of tile number ``tile`` (tiles are numbered ``row * width + column``)."""
    return divmod(int(tile), level.shape[1])


def _as_path(level: Level, path) -> np.ndarray:
    """A path as an array of tile numbers; -1 padding (as in ``Rollouts.paths``) is dropped."""
    path = np.asarray(path, dtype=np.int64).ravel()
    path = path[path >= 0]
    if path.size == 0:
        raise ValueError("A path needs at least one tile (its start).")
    if path.max() >= level.walls.size:
        raise ValueError(
            f"Path tile {int(path.max())} is outside this {level.shape[0]}x{level.shape[1]} level: "
            "was the path recorded on a different level?"
        )
    return path


def outcome_of_path(level: Level, path) -> str:
    """What a path ended on: ``exit``, ``green_apple``, ``other_apple`` or ``none`` (from its last tile)."""
    end = tile_to_rc(level, _as_path(level, path)[-1])
    for obj in level.objects:
        if obj.position == end:
            if obj.kind == Kind.EXIT:
                return "exit"
            return "green_apple" if obj.colour == Colour.GREEN else "other_apple"
    return "none"


def _tile_points(ax, level: Level) -> float:
    """About how many typographic points one tile spans on screen (to size letters to the tiles)."""
    fig = ax.figure
    width_inches = fig.get_figwidth() * ax.get_position().width
    height_inches = fig.get_figheight() * ax.get_position().height
    return 72 * min(width_inches / level.shape[1], height_inches / level.shape[0])


# --------------------------------------------------------------------------------------------------------------
# A level
# --------------------------------------------------------------------------------------------------------------


def level_legend_handles(level: Level, agent: bool = True) -> list:
    """Legend entries for a level: every object's colour in words, its shape and its letter; the agent; walls."""
    handles, seen = [], set()
    for obj in level.objects:
        key = (obj.kind, obj.colour)
        if key in seen:
            continue
        seen.add(key)
        handles.append(
            Line2D([], [], linestyle="none", marker=SHAPE[obj.kind], markersize=10, markerfacecolor=HEX[obj.colour],
                   markeredgecolor="black", label=describe(obj.kind, obj.colour))
        )
    if agent:
        handles.append(Line2D([], [], linestyle="none", marker="^", markersize=10, color=AGENT_HEX,
                              label=f"agent ({AGENT_LETTER}, triangle)"))
    handles.append(Patch(facecolor=WALL_HEX, label="wall"))
    return handles


def plot_level(level: Level, agent: tuple[int, int] | None | str = "start", ax=None, legend: bool = True,
               title: str | None = None, legend_columns: int = 2):
    """Draw a level: walls, the exit sign (square), apples (discs), each with its colour letter, and the agent.

    Args:
        agent: the agent's (row, column); ``"start"`` (default) draws it on the start tile, None leaves it out.
        legend: add a legend below the maze naming every object's colour in words (in ``legend_columns``).
        title: the axes title; default names the level's distribution and seed.

    Each object's patch gets ``gid="object"`` and the agent ``gid="agent"`` so tests (and curious students) can
    find them in ``ax.patches``.
    """
    level = _check_level(level)
    ax = _get_ax(ax)
    h, w = level.shape
    ax.imshow(level.walls.astype(int), cmap=ListedColormap([FLOOR_HEX, WALL_HEX]), vmin=0, vmax=1,
              interpolation="nearest", extent=(-0.5, w - 0.5, h - 0.5, -0.5), zorder=0)
    letter_size = max(5.0, 0.5 * _tile_points(ax, level))

    for obj in level.objects:
        r, c = obj.position
        if obj.kind == Kind.EXIT:  # a square sign with a thick frame: the sign is a sign whatever its colour
            patch = Rectangle((c - 0.42, r - 0.42), 0.84, 0.84, facecolor=HEX[obj.colour], edgecolor="black",
                              linewidth=2.0, zorder=3)
        else:
            patch = Circle((c, r), 0.42, facecolor=HEX[obj.colour], edgecolor="black", linewidth=1.0, zorder=3)
        patch.set_gid("object")
        patch.set_label(describe(obj.kind, obj.colour))
        ax.add_patch(patch)
        ink = "white" if obj.colour == Colour.BLUE else "black"  # keep the letter readable on dark blue
        ax.text(c, r, object_char(obj.kind, obj.colour), ha="center", va="center", color=ink, fontsize=letter_size,
                fontweight="bold", zorder=4, gid="object letter")

    if agent is not None:
        r, c = level.start if isinstance(agent, str) and agent == "start" else agent
        triangle = Polygon([(c, r - 0.42), (c + 0.38, r + 0.36), (c - 0.38, r + 0.36)], closed=True,
                           facecolor=AGENT_HEX, edgecolor="white", linewidth=0.8, zorder=5)
        triangle.set_gid("agent")
        ax.add_patch(triangle)
        ax.text(c, r + 0.08, AGENT_LETTER, ha="center", va="center", color="white", fontsize=letter_size * 0.6,
                fontweight="bold", zorder=6)

    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is None:
        title = f"{level.distribution or 'level'} level" + (f", seed {level.seed}" if level.seed is not None else "")
    ax.set_title(title, fontsize=10)
    if legend:
        ax.legend(handles=level_legend_handles(level, agent is not None), loc="upper center",
                  bbox_to_anchor=(0.5, -0.01), ncol=legend_columns, fontsize=8, frameon=False)
    return ax


# --------------------------------------------------------------------------------------------------------------
# Trajectories
# --------------------------------------------------------------------------------------------------------------


def plot_trajectories(level: Level, paths, outcomes: Sequence[str] | None = None, ax=None, legend: bool = True,
                      title: str | None = None, legend_columns: int = 2):
    """Draw one or many paths over a level, fading from faint (start) to solid (end), with an end mark by outcome.

    Args:
        paths: one path (a sequence of tile numbers, e.g. ``Rollouts.path(i)``) or a list of paths on this level.
        outcomes: one outcome per path (``exit``, ``green_apple``, ``other_apple``, ``none``); default read off
            each path's last tile.

    Several paths are nudged apart a little so that paths sharing a corridor stay visible. End marks are drawn
    with ``gid="end <outcome>"``.
    """
    level = _check_level(level)
    if len(paths) == 0:
        raise ValueError("paths is empty: give one path (a list of tiles) or a list of paths.")
    first = paths[0]
    if np.ndim(first) == 0:  # a single path of tile numbers
        paths = [paths]
    paths = [_as_path(level, p) for p in paths]
    if outcomes is None:
        outcomes = [outcome_of_path(level, p) for p in paths]
    outcomes = list(outcomes)
    if len(outcomes) != len(paths):
        raise ValueError(f"Got {len(paths)} paths but {len(outcomes)} outcomes: give one outcome per path.")
    for o in outcomes:
        if o not in OUTCOME_WORDS:
            raise ValueError(f"Unknown outcome {o!r}. Outcomes are: {', '.join(OUTCOMES)}.")

    ax = plot_level(level, ax=ax, legend=False, title=title)
    n = len(paths)
    spread = min(0.3, 0.06 * (n - 1))
    for k, (path, outcome) in enumerate(zip(paths, outcomes)):
        nudge = 0.0 if n == 1 else -spread / 2 + spread * k / (n - 1)
        rows, cols = np.divmod(path, level.shape[1])
        xy = np.column_stack([cols + nudge, rows + nudge]).astype(float)
        if len(xy) > 1:
            segments = np.stack([xy[:-1], xy[1:]], axis=1)
            alpha = np.linspace(0.15, 1.0, len(segments))  # the path fades into the past
            colours = np.zeros((len(segments), 4))
            colours[:, 3] = alpha
            ax.add_collection(LineCollection(segments, colors=colours, linewidths=2.5 if n == 1 else 1.5,
                                             zorder=7, capstyle="butt", gid="path"))
        ax.plot(xy[-1, 0] + 0.3, xy[-1, 1] - 0.3, linestyle="none", marker=OUTCOME_MARKER[outcome], markersize=11,
                markerfacecolor=OUTCOME_FILL[outcome], markeredgecolor="black", zorder=8, gid=f"end {outcome}")
    if legend:
        handles = level_legend_handles(level)
        handles.append(Line2D([], [], color="black", linewidth=2, label="path (faint = earlier)"))
        for outcome in OUTCOMES:
            if outcome in outcomes:
                handles.append(Line2D([], [], linestyle="none", marker=OUTCOME_MARKER[outcome], markersize=10,
                                      markerfacecolor=OUTCOME_FILL[outcome], markeredgecolor="black",
                                      label=f"end: {OUTCOME_WORDS[outcome]}"))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=legend_columns, fontsize=8,
                  frameon=False)
    return ax


# --------------------------------------------------------------------------------------------------------------
# What an agent learned
# --------------------------------------------------------------------------------------------------------------


def noiseless(observation):
    """The same observation with no misreading: what the agent *would* do if it read every cue right."""
    return Cues(0.0, 0.0) if isinstance(observation, Cues) else observation


def greedy_actions(agent, level: Level, tolerance: float = 1e-9) -> dict[int, np.ndarray]:
    """For every free floor tile: the actions the agent rates best from its noiseless cues (ties all kept).

    Moves into walls are left out, as when the agent acts. Returns ``{tile: array of best actions}``.
    """
    level = _check_level(level)
    tables = compile_levels(level)
    floor = np.flatnonzero(~level.walls.ravel() & (tables.object_at[0] < 0))
    obs = noiseless(agent.observation).observe(tables, np.zeros(len(floor), dtype=np.int64), floor,
                                               np.random.default_rng(0))
    q = agent.q_values(obs)
    q = np.where(tables.open_moves(np.zeros(len(floor), dtype=np.int64), floor), q, -np.inf)
    best = q >= q.max(axis=1, keepdims=True) - tolerance
    return {int(t): np.flatnonzero(b) for t, b in zip(floor, best)}


def _draw_arrows(ax, level: Level, actions: dict[int, np.ndarray], colour="black", gid="policy arrows"):
    x, y, u, v = [], [], [], []
    for tile, acts in actions.items():
        r, c = tile_to_rc(level, tile)
        for a in acts:
            dr, dc = DELTAS[a]
            x.append(c)
            y.append(r)
            u.append(dc)
            v.append(dr)
    # Data-coordinate arrows (the y axis points down, as rows do), 0.6 of a tile long, centred on the tile.
    return ax.quiver(x, y, u, v, angles="xy", scale_units="xy", scale=1 / 0.6, pivot="middle", color=colour,
                     width=0.006, headwidth=4, zorder=6, gid=gid)


def plot_policy(agent, level: Level, ax=None, values: bool = False, title: str | None = None):
    """Greedy action arrows over a level: where the agent goes from each tile if it reads its cues right.

    Args:
        agent: a trained agent (anything with ``observation`` and ``q_values``), e.g. ``train_q_learning(...).agent``.
        values: also shade each tile by its optimal value for the *exit* reward (value iteration), so you can see
            where the learned arrows disagree with the reference answer.

    Tied best actions all get an arrow: four arrows on a tile means "no preference".
    """
    level = _check_level(level)
    if values:
        ax = plot_values(level, ax=ax, arrows=False, title=title)
    else:
        ax = plot_level(level, ax=ax, agent=None, legend=True, title=title)
    if title is None:
        title = f"What the agent does (noiseless cues), {level.distribution or 'level'} level"
        ax.set_title(title + ("\nshading: optimal value for reaching the exit" if values else ""), fontsize=10)
    _draw_arrows(ax, level, greedy_actions(agent, level))
    return ax


def _reward_array(level: Level, tables, reward) -> np.ndarray:
    if reward is None or (isinstance(reward, str) and reward == "exit"):
        goal = [o for o in level.objects if o.kind == Kind.EXIT]
    elif isinstance(reward, str) and reward == "green":
        goal = [o for o in level.objects if o.colour == Colour.GREEN]
    elif isinstance(reward, str):
        raise ValueError(f"reward must be 'exit', 'green' or an array with one value per tile; got {reward!r}.")
    else:
        return np.asarray(reward, dtype=float)
    array = np.zeros(tables.n_tiles)
    for obj in goal:
        array[obj.position[0] * level.shape[1] + obj.position[1]] = 1.0
    return array


def plot_values(level: Level, reward="exit", discount: float = 0.95, ax=None, arrows: bool = True,
                colorbar: bool = True, title: str | None = None):
    """Heat map of the optimal value of each tile (value iteration), with the optimal moves as arrows.

    Args:
        reward: ``"exit"`` (the environment's reward), ``"green"`` (1 for reaching anything green) or an array
            with one reward per tile. Plot both to see two goals that agree in training and split at deployment.
    """
    level = _check_level(level)
    tables = compile_levels(level)
    q, value = value_iteration(tables, 0, _reward_array(level, tables, reward), discount)
    ax = plot_level(level, ax=ax, agent=None, legend=True,
                    title=title or f"Optimal value, reward = {reward if isinstance(reward, str) else 'custom'}")
    h, w = level.shape
    shown = np.where(level.walls.ravel() | (tables.object_at[0] >= 0), np.nan, value).reshape(h, w)
    # Purples is outside the object palette, so the heat map never looks like an object colour.
    image = ax.imshow(shown, cmap="Purples", vmin=0, vmax=max(float(np.nanmax(shown)), 1e-9), alpha=0.75,
                      interpolation="nearest", extent=(-0.5, w - 0.5, h - 0.5, -0.5), zorder=1, gid="values")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, shrink=0.7, label="optimal value")
    if arrows:
        floor = np.flatnonzero(~level.walls.ravel() & (tables.object_at[0] < 0))
        open_q = np.where(tables.next_state[0][floor] != floor[:, None], q[floor], -np.inf)
        best = open_q >= open_q.max(axis=1, keepdims=True) - 1e-9
        reachable = value[floor] > 0
        _draw_arrows(ax, level, {int(t): np.flatnonzero(b) for t, b, ok in zip(floor, best, reachable) if ok},
                     gid="optimal arrows")
    return ax


def cue_weights(agent) -> dict[str, float]:
    """How strongly a factored agent follows each cue, from its weights alone.

    For each cue and each direction value ``v`` it can show, take the weight on *moving in direction v* minus the
    mean weight on the other three moves, then average over the four directions. Positive: seeing the cue point
    somewhere makes the agent go there. This is the number that decides what the agent does when, at deployment,
    the green cue and the exit cue point different ways.

    Returns ``{"follows green": ..., "follows exit sign": ...}``.
    """
    observation = getattr(agent, "observation", None)
    if getattr(agent, "table", None) != "factored" or not isinstance(observation, Cues):
        raise ValueError(
            "cue_weights needs a factored agent over the Cues observation (QLearningConfig(table='factored'), "
            f"observation=Cues()); got table={getattr(agent, 'table', None)!r}, observation={observation!r}. "
            "A joint table has no weight per cue: compare what it does when the cues disagree instead."
        )
    weights = np.asarray(agent.weights)
    names = {"green cue": "follows green", "exit cue": "follows exit sign"}
    result, offset = {}, 0
    for cue, size in zip(observation.cue_names, agent.sizes):
        block = weights[offset : offset + 4]  # rows for cue values 0-3 (directions); value 4 means "none"
        own = block[np.arange(4), np.arange(4)]
        others = (block.sum(axis=1) - own) / 3
        result[names.get(cue, cue)] = float(np.mean(own - others))
        offset += size
    return result


def plot_cue_weights(agent, ax=None, title: str | None = None):
    """Bar chart of :func:`cue_weights`: how much the agent follows green vs the exit sign."""
    weights = cue_weights(agent)
    ax = _get_ax(ax, figsize=(4, 3.5))
    names = list(weights)
    fills = [HEX[Colour.GREEN], WALL_HEX]
    hatches = ["", "//"]  # told apart by hatch and label, not only by colour
    bars = ax.bar(names, [weights[n] for n in names], color=fills[: len(names)], edgecolor="black", gid="cue bars")
    for bar, hatch in zip(bars, hatches):
        bar.set_hatch(hatch)
    ax.bar_label(bars, fmt="%.3f", fontsize=9)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("weight on the cue's direction\nminus the other directions")
    ax.set_title(title or "Which cue does the agent follow?", fontsize=10)
    ax.margins(y=0.15)
    return ax


# --------------------------------------------------------------------------------------------------------------
# Outcome rates
# --------------------------------------------------------------------------------------------------------------


def _check_rate(where: str, value) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{where} = {value} is not a rate: rates are shares of episodes, between 0 and 1.")
    return value


def plot_outcomes(rates_by_dist: Mapping[str, Mapping[str, float]], ci: Mapping | None = None, ax=None,
                  outcomes: Sequence[str] = OUTCOMES, title: str | None = None):
    """Grouped bars: for each distribution, the share of episodes ending at the exit / a green apple / ... .

    Args:
        rates_by_dist: ``{"train": {"exit": 0.95, "green_apple": 0.0, ...}, "deploy": {...}}`` (e.g.
            ``{name: rollout(...).rates()}``). Outcomes missing from a dict count as 0.
        ci: optional 95% intervals in the same layout, ``{"deploy": {"exit": (low, high), ...}}``, drawn as
            error bars. Without it, a ``"ci95"`` entry inside each distribution's dict is used (the layout of
            ``gmg_teach.experiments.summarize``).
        outcomes: which outcomes to draw, in order.

    Bars carry ``gid="<distribution>:<outcome>"``.
    """
    if not rates_by_dist:
        raise ValueError("rates_by_dist is empty: give {distribution name: {outcome: rate}}.")
    for outcome in outcomes:
        if outcome not in OUTCOME_WORDS:
            raise ValueError(f"Unknown outcome {outcome!r}. Outcomes are: {', '.join(OUTCOMES)}.")
    ax = _get_ax(ax, figsize=(1.8 + 1.6 * len(rates_by_dist), 3.5))
    names = list(rates_by_dist)
    if ci is None and any("ci95" in rates for rates in rates_by_dist.values()):
        ci = {name: rates.get("ci95", {}) for name, rates in rates_by_dist.items()}
    width = 0.8 / len(outcomes)
    for k, outcome in enumerate(outcomes):
        x = np.arange(len(names)) + (k - (len(outcomes) - 1) / 2) * width
        heights = [_check_rate(f"rates_by_dist[{n!r}][{outcome!r}]", rates_by_dist[n].get(outcome, 0.0))
                   for n in names]
        bars = ax.bar(x, heights, width, color=OUTCOME_FILL[outcome], hatch=OUTCOME_HATCH[outcome],
                      edgecolor="black", linewidth=0.8, label=OUTCOME_WORDS[outcome])
        for bar, name in zip(bars, names):
            bar.set_gid(f"{name}:{outcome}")
        tops = list(heights)  # where each bar's number goes: above its bar and its interval
        if ci is not None:
            low_high = []
            for name, height in zip(names, heights):
                low, high = ci.get(name, {}).get(outcome, (height, height))
                if not low - 1e-6 <= height <= high + 1e-6:
                    raise ValueError(
                        f"The interval ({low}, {high}) for {name!r} {outcome!r} does not contain the rate {height}: "
                        "give (low, high) bounds, not (rate, half-width)."
                    )
                low_high.append((max(height - low, 0.0), max(high - height, 0.0)))
                tops[len(low_high) - 1] = max(height, high)
            ax.errorbar(x, heights, yerr=np.array(low_high).T, fmt="none", ecolor="black", capsize=3, linewidth=1,
                        label=f"_ci {outcome}")  # a leading "_" keeps it out of the legend
        for xk, height, top in zip(x, heights, tops):
            if height > 0:
                ax.text(xk, top + 0.015, f"{height:.2f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(np.arange(len(names)), names)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("share of episodes")
    ax.set_title(title or "Where do the episodes end?", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax


# --------------------------------------------------------------------------------------------------------------
# Learning curves
# --------------------------------------------------------------------------------------------------------------

# Which columns of a learning-curve row to draw, how to name them, and how to draw them (line style + marker, so
# the curves differ without colour too).
CURVE_STYLE = {
    "train_success": ("training episodes: reached the exit (while exploring)", "-", "", WALL_HEX),
    "held_out_exit": ("held-out training levels: reached the exit", "-", "o", "black"),
    "deploy_exit": ("deployment levels: reached the exit (intended goal)", "--", "s", HEX[Colour.BLUE]),
    "deploy_green_apple": ("deployment levels: reached a green apple (proxy goal)", ":", "^", HEX[Colour.GREEN]),
}


def plot_learning_curves(history: Sequence[Mapping[str, float]], ax=None, columns: Sequence[str] | None = None,
                         title: str | None = None):
    """Success against training episodes, with the deployment rates overlaid.

    Args:
        history: rows with an ``episodes`` column and any of ``train_success``, ``held_out_exit``,
            ``deploy_exit``, ``deploy_green_apple`` (``TrainingResult.history`` has the first; the
            ``LearningCurve`` recorder in ``gmg_teach.widgets`` adds the others through ``on_progress``).
        columns: which columns to draw; default every known column present in the rows.

    The point of the picture: held-out training success and the green-apple rate at deployment rise *together*;
    the goal is wrong from the start, not a late accident.
    """
    history = list(history)
    if not history:
        raise ValueError("history is empty: train first (TrainingResult.history has one row per report).")
    if any("episodes" not in row for row in history):
        raise ValueError("Every learning-curve row needs an 'episodes' column.")
    if columns is None:
        columns = [c for c in CURVE_STYLE if any(c in row for row in history)]
    ax = _get_ax(ax, figsize=(6, 3.5))
    for column in columns:
        label, linestyle, marker, colour = CURVE_STYLE.get(column, (column, "-", ".", "black"))
        rows = [row for row in history if column in row]
        ax.plot([row["episodes"] for row in rows], [row[column] for row in rows], linestyle=linestyle,
                marker=marker, markersize=4, color=colour, label=label, gid=column)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("training episodes")
    ax.set_ylabel("share of episodes")
    ax.set_title(title or "Learning curves", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    return ax


# --------------------------------------------------------------------------------------------------------------
# The 2x2 table and the alpha sweep
# --------------------------------------------------------------------------------------------------------------

# The four cells in reading order (row = capabilities generalize?, column = goal generalizes?).
TWO_BY_TWO = ((True, True), (True, False), (False, True), (False, False))
CELL_NAMES = {
    (True, True): "both generalize",
    (True, False): "goal misgeneralization",
    (False, True): "capabilities fail, goal intact",
    (False, False): "neither generalizes",
}


def _cell_position(key, cell, order: int) -> tuple[bool, bool]:
    if "capabilities" in cell and "goal" in cell:
        return bool(cell["capabilities"]), bool(cell["goal"])
    if isinstance(key, tuple) and len(key) == 2:
        return bool(key[0]), bool(key[1])
    return TWO_BY_TWO[order]


def _as_panel(key, cell: Mapping) -> Mapping:
    """Accept a cell exactly as ``gmg_teach.experiments.two_by_two`` returns it, or a ready-made panel dict."""
    if "example" not in cell:
        return cell
    return {"level": cell["example"]["level"], "path": cell["example"]["path"], "rates": cell["rates"],
            "label": str(key), "capabilities": cell["capabilities_generalize"], "goal": cell["goal_generalizes"]}


def plot_two_by_two(cells: Mapping, axes=None, title: str | None = None):
    """The capabilities/goals table as four panels, each an example episode with its measured rates.

    Args:
        cells: the output of ``gmg_teach.experiments.two_by_two`` as it is, or four entries
            ``{name: {"level": Level, "path": tiles, "rates": {outcome: rate}, "label": str}}``.
            Where each goes: ``cell["capabilities"]`` and ``cell["goal"]`` (bools) if present, else a key that is
            a ``(capabilities, goal)`` tuple, else insertion order: (yes, yes), (yes, no), (no, yes), (no, no).
        axes: a 2x2 array of axes to draw on (default: a new figure).

    Returns the 2x2 array of axes. The dangerous cell (capabilities yes, goal no) gets a thick frame.
    """
    if len(cells) != 4:
        raise ValueError(f"The 2x2 table has four cells; got {len(cells)}.")
    cells = {key: _as_panel(key, cell) for key, cell in cells.items()}
    created = axes is None
    if created:
        fig, axes = plt.subplots(2, 2, figsize=(9, 10.5))
        fig.subplots_adjust(bottom=0.14, top=0.86, hspace=0.45, wspace=0.15)
    axes = np.asarray(axes)
    if axes.shape != (2, 2):
        raise ValueError(f"axes must be a 2x2 array of axes; got shape {axes.shape}.")
    placed = {}
    for order, (key, cell) in enumerate(cells.items()):
        for field in ("level", "path", "rates"):
            if field not in cell:
                raise ValueError(f"Cell {key!r} has no {field!r}: each cell needs level, path, rates (and a label).")
        position = _cell_position(key, cell, order)
        if position in placed:
            raise ValueError(f"Cells {placed[position]!r} and {key!r} both claim the same place in the table.")
        placed[position] = key
        row, col = int(not position[0]), int(not position[1])
        ax = axes[row, col]
        plot_trajectories(cell["level"], cell["path"], ax=ax, legend=False, title="")
        label = cell.get("label") or CELL_NAMES[position]
        ax.set_title(f"{CELL_NAMES[position]}\n{label}", fontsize=9)
        ax.set_xlabel(_wrap_rates(cell["rates"]), fontsize=8)
        if position == (True, False):
            for spine in ax.spines.values():
                spine.set_linewidth(4)
            ax.set_title(f"{CELL_NAMES[position]} (the dangerous cell)\n{label}", fontsize=9, fontweight="bold")
    for i, yes in enumerate(("yes", "no")):
        axes[i, 0].set_ylabel(f"capabilities generalize: {yes}", fontsize=10)
        axes[0, i].annotate(f"goal generalizes: {yes}", xy=(0.5, 1.25), xycoords="axes fraction", ha="center",
                            fontsize=10, fontweight="bold")
    fig = axes[0, 0].figure
    legend = [
        Line2D([], [], linestyle="none", marker="s", markersize=9, markerfacecolor="white", markeredgecolor="black",
               label="square = exit sign"),
        Line2D([], [], linestyle="none", marker="o", markersize=9, markerfacecolor="white", markeredgecolor="black",
               label="disc = apple"),
        Line2D([], [], linestyle="none", marker="^", markersize=9, color=AGENT_HEX, label="agent's start"),
        *[Patch(facecolor=HEX[c], edgecolor="black", label=f"{LETTER[c]} = {COLOUR_WORDS[c]}") for c in Colour],
        *[Line2D([], [], linestyle="none", marker=OUTCOME_MARKER[o], markersize=9, markerfacecolor=OUTCOME_FILL[o],
                 markeredgecolor="black", label=f"end: {OUTCOME_SHORT[o]}") for o in OUTCOMES],
    ]
    fig.legend(handles=legend, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(title or "Capabilities and goals, from training to deployment", fontsize=12)
    return axes


def _wrap_rates(rates: Mapping[str, float]) -> str:
    items = [f"{OUTCOME_SHORT.get(k, k)}: {float(v):.2f}" for k, v in rates.items()]
    return "\n".join(", ".join(items[i : i + 2]) for i in range(0, len(items), 2))


def _row_interval(row: Mapping, outcome: str) -> tuple:
    """(low, high) for one outcome of an alpha-sweep row, from whichever layout it uses; (None, None) if none."""
    if outcome in row.get("ci95", {}):
        low, high = row["ci95"][outcome]
    elif f"{outcome}_ci" in row:
        low, high = row[f"{outcome}_ci"]
    else:
        low, high = row.get(f"{outcome}_low"), row.get(f"{outcome}_high")
    return low, high


def plot_alpha_sweep(rows: Sequence[Mapping], ax=None, outcomes: Sequence[str] = ("exit", "green_apple"),
                     log_x: bool | None = None, title: str | None = None):
    """Deployment outcome rates against alpha, the fraction of distinguishing levels mixed into training.

    Args:
        rows: ``[{"alpha": 0.0, "exit": 0.01, "green_apple": 0.93, ...}, ...]`` (``gmg_teach.experiments.alpha_sweep``).
            Optional intervals per outcome as ``"ci95": {"exit": (low, high), ...}`` (as the experiment gives them),
            ``"<outcome>_ci": (low, high)`` or ``"<outcome>_low"`` / ``"<outcome>_high"``.
        log_x: symmetric-log x axis (alpha = 0 stays on it); default when the alphas span more than a decade.

    How small can alpha be? Read off where the exit curve crosses the green-apple curve.
    """
    rows = sorted(rows, key=lambda row: row["alpha"]) if rows else []
    if not rows:
        raise ValueError("rows is empty: give one dict per alpha, e.g. {'alpha': 0.05, 'exit': 0.8, ...}.")
    alphas = np.array([float(row["alpha"]) for row in rows])
    if alphas.min() < 0 or alphas.max() > 1:
        raise ValueError(f"alpha is a fraction of levels, between 0 and 1; got {alphas.min()} to {alphas.max()}.")
    ax = _get_ax(ax, figsize=(5.5, 3.5))
    for outcome in outcomes:
        if outcome not in OUTCOME_WORDS:
            raise ValueError(f"Unknown outcome {outcome!r}. Outcomes are: {', '.join(OUTCOMES)}.")
        y = np.array([_check_rate(f"alpha {row['alpha']} {outcome!r}", row.get(outcome, 0.0)) for row in rows])
        style = {"exit": ("-", "s"), "green_apple": (":", "^"), "other_apple": ("-.", "P"), "none": ("--", "x")}
        linestyle, marker = style[outcome]
        colour = OUTCOME_FILL[outcome] if outcome != "none" else "black"
        ax.plot(alphas, y, linestyle=linestyle, marker=marker, color=colour, markeredgecolor="black",
                label=f"deployment: {OUTCOME_WORDS[outcome]}", gid=outcome)
        intervals = [_row_interval(row, outcome) for row in rows]
        low, high = [i[0] for i in intervals], [i[1] for i in intervals]
        if all(v is not None for v in low + high):
            ax.fill_between(alphas, low, high, color=colour, alpha=0.2, linewidth=0, gid=f"ci {outcome}")
    if log_x is None:
        positive = alphas[alphas > 0]
        log_x = positive.size > 1 and positive.max() / positive.min() > 10
    if log_x:
        positive = alphas[alphas > 0]
        ax.set_xscale("symlog", linthresh=float(positive.min()) if positive.size else 0.01)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("alpha: fraction of distinguishing levels in training")
    ax.set_ylabel("share of deployment episodes")
    ax.set_title(title or "How many distinguishing levels does it take?", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    return ax


# --------------------------------------------------------------------------------------------------------------
# Colour-blindness check
# --------------------------------------------------------------------------------------------------------------

# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to *linear* RGB.
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])


def _to_linear(srgb01):
    return np.where(srgb01 <= 0.04045, srgb01 / 12.92, ((srgb01 + 0.055) / 1.055) ** 2.4)


def _to_srgb(linear):
    linear = np.clip(linear, 0, 1)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def simulate_deuteranopia(rgb, matrix: np.ndarray = DEUTERANOPIA) -> np.ndarray:
    """How 0-255 sRGB colours look to someone without green cones (or pass ``PROTANOPIA``): 0-255 sRGB back."""
    rgb = np.asarray(rgb, dtype=float) / 255.0
    return _to_srgb(_to_linear(rgb) @ matrix.T) * 255.0


def lab_distance(rgb_a, rgb_b) -> float:
    """CIE76 colour difference (Delta E) between two 0-255 sRGB colours; about 2.3 is just noticeable."""
    def lab(rgb):
        xyz = _to_linear(np.asarray(rgb, dtype=float) / 255.0) @ np.array(
            [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
        xyz = xyz / np.array([0.95047, 1.0, 1.08883])
        f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
        return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])

    return float(np.linalg.norm(lab(rgb_a) - lab(rgb_b)))


def palette_under_colour_blindness(matrix: np.ndarray = DEUTERANOPIA) -> dict[tuple[str, str], float]:
    """Delta E between every pair of object colours as seen with the given colour-blindness simulation."""
    seen = {c: simulate_deuteranopia(RGB[c], matrix) for c in Colour}
    colours = list(Colour)
    return {(a.name.lower(), b.name.lower()): lab_distance(seen[a], seen[b])
            for i, a in enumerate(colours) for b in colours[i + 1 :]}
