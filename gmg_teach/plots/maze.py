"""Figures of the maze and of what an agent learned there: levels, paths, the value map, the policy field with its
decision tiles, P(exit | decision tile), the goal weights, learning curves and outcome bars.

Every function draws on a matplotlib ``ax`` (made for you if you pass none), returns it, and never calls
``plt.show()``: the notebook decides when to show, and tests can draw headless and compare what was drawn with the
data it was drawn from. Numbers come from ``gmg_teach.measure`` and the agents; nothing here computes an analysis.

Accessibility: the lesson hinges on "green", so every object is drawn in the Okabe-Ito palette *and* marked by its
shape (square sign = exit, disc = apple) *and* by the letter of its colour; legends name colours in words; the agent
is a large black triangle with a white rim marked ``A`` (as in the text render), several times the size of a policy
field's arrowheads. Heat maps use colour maps outside the object palette. Text is at least 8 pt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib import patheffects
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch, Polygon, Rectangle
from matplotlib.ticker import FixedLocator, NullLocator

from ..agents.goal_model import FEATURE_NAMES, GoalModel
from ..agents.navigation import NavigationValues
from ..measure.decisions import decision_tiles, exit_probability_by_decision_tile, policy_field
from ..measure.rollouts import OUTCOMES, Rollouts, as_tables
from ..world.levels import DELTAS, Level, dead_ends
from ..world.palette import (
    AGENT_HEX,
    AGENT_LETTER,
    COLOUR_WORDS,
    FLOOR_HEX,
    HEX,
    LETTER,
    SHAPE,
    WALL_HEX,
    Colour,
    Kind,
    describe,
    object_char,
)
from ..world.tables import MazeTables

__all__ = [
    "OUTCOMES", "OUTCOME_WORDS", "OUTCOME_SHORT", "OUTCOME_MARKER", "OUTCOME_FILL", "OUTCOME_HATCH",
    "FEATURE_WORDS", "FEATURE_WORDS_SHORT", "VALUE_CMAP", "PROBABILITY_CMAP",
    "tile_to_rc", "outcome_of_path", "level_legend_handles",
    "plot_building", "plot_level", "plot_trajectories", "plot_value_map", "plot_policy_field",
    "plot_exit_probability", "plot_goal_weights", "plot_learning_curve", "plot_outcomes",
]

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
OUTCOME_HATCH = {"exit": "", "green_apple": "xx", "other_apple": "..", "none": "//"}

# The goal model's features in words, for axis labels: kinds by name, colours by word and letter.
FEATURE_WORDS = {
    "exit": "exit sign\n(kind)",
    "apple": "apple\n(kind)",
    **{c.name.lower(): f"{COLOUR_WORDS[c]}\n({LETTER[c]})".replace("bluish green", "bluish\ngreen") for c in Colour},
}

# The same in few letters, for small panels.
FEATURE_WORDS_SHORT = {"exit": "exit sign", "apple": "apple",
                       **{c.name.lower(): f"{c.name.lower()} ({LETTER[c]})" for c in Colour}}

PATH_EARLIEST_GREY = 0.68
"""Grey level (0 black, 1 white) of a path's first step: light enough to read as "earlier", dark enough to see on the
white floor."""
VALUE_CMAP = "Purples"  # outside the object palette, so a value map never looks like an object's colour
PROBABILITY_CMAP = "cividis"  # designed to read the same with red-green colour blindness


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


def _level_and_tables(levels, level: int) -> tuple[Level, MazeTables, int]:
    """A Level or compiled tables plus an index -> (the Level, tables holding it, its index in the tables)."""
    if isinstance(levels, Level):
        return levels, as_tables(levels), 0
    if not isinstance(levels, MazeTables):
        raise TypeError(f"Expected a Level or compiled MazeTables; got {type(levels).__name__}.")
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or not 0 <= level < levels.n_levels:
        raise ValueError(f"level must be a whole number from 0 to {levels.n_levels - 1} (the tables hold "
                         f"{levels.n_levels} levels); got {level!r}.")
    return levels.levels[int(level)], levels, int(level)


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


def _tile_points(ax, shape) -> float:
    """About how many typographic points one tile spans on screen (to size letters to the tiles)."""
    fig = ax.figure
    width_inches = fig.get_figwidth() * ax.get_position().width
    height_inches = fig.get_figheight() * ax.get_position().height
    return 72 * min(width_inches / shape[1], height_inches / shape[0])


def _extent(shape):
    h, w = shape
    return (-0.5, w - 0.5, h - 0.5, -0.5)


def _tile_image(ax, shape, values, cmap, vmin, vmax, gid, zorder=1):
    """Shade tiles by ``values`` (tiles,), NaN left clear; returns the image (its array is the data, tile by tile)."""
    image = ax.imshow(np.asarray(values, dtype=float).reshape(shape), cmap=cmap, vmin=vmin, vmax=vmax,
                      interpolation="nearest", extent=_extent(shape), zorder=zorder)
    image.set_gid(gid)
    return image


def _below_legend(ax, handles, columns=2):
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=columns, fontsize=8,
              frameon=False)


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


def plot_building(walls, ax=None, title: str | None = None):
    """Draw only the walls of a building (``Level.walls`` or ``Distribution.walls``): dark walls, white floor."""
    walls = np.asarray(walls)
    if walls.ndim != 2 or walls.dtype != bool:
        raise ValueError(f"walls must be a 2-D True/False grid (True = wall); got an array of shape {walls.shape} "
                         f"and type {walls.dtype}.")
    ax = _get_ax(ax)
    image = ax.imshow(walls.astype(int), cmap=ListedColormap([FLOOR_HEX, WALL_HEX]), vmin=0, vmax=1,
                      interpolation="nearest", extent=_extent(walls.shape), zorder=0)
    image.set_gid("walls")
    h, w = walls.shape
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=10)
    return ax


def _draw_agent(ax, level: Level, position, letter_size: float) -> None:
    r, c = position
    # A full-tile triangle with a white rim and a black outer edge: it stands out from the walls, the floor and the
    # small solid arrowheads of a policy field; the letter is as large as the objects' letters.
    triangle = Polygon([(c, r - 0.5), (c + 0.5, r + 0.45), (c - 0.5, r + 0.45)], closed=True,
                       facecolor=AGENT_HEX, edgecolor="white", linewidth=1.6, zorder=9,
                       path_effects=[patheffects.withStroke(linewidth=3.2, foreground="black")])
    triangle.set_gid("agent")
    ax.add_patch(triangle)
    ax.text(c, r + 0.14, AGENT_LETTER, ha="center", va="center", color="white", fontsize=letter_size * 0.85,
            fontweight="bold", zorder=10, gid="agent letter")


def plot_level(level: Level, agent: tuple[int, int] | None | str = "start", ax=None, legend: bool = True,
               title: str | None = None, legend_columns: int = 2):
    """Draw a level: walls, the exit sign (square), apples (discs), each with its colour letter, and the agent.

    Args:
        agent: the agent's (row, column); ``"start"`` (default) draws it on the start tile, None leaves it out.
        legend: add a legend below the maze naming every object's colour in words (in ``legend_columns``).
        title: the axes title; default names the level's distribution and seed.

    Each object's patch gets ``gid="object"``, its letter ``gid="object letter"``, and the agent ``gid="agent"``,
    so tests (and curious students) can find them in ``ax.patches`` and ``ax.texts``.
    """
    level = _check_level(level)
    if title is None:
        title = f"{level.distribution or 'level'} level" + (f", seed {level.seed}" if level.seed is not None else "")
    ax = plot_building(level.walls, ax=ax, title=title)
    letter_size = max(8.0, 0.55 * _tile_points(ax, level.shape))

    for obj in level.objects:
        r, c = obj.position
        if obj.kind == Kind.EXIT:  # a square sign with a thick frame: the sign is a sign whatever its colour
            patch = Rectangle((c - 0.42, r - 0.42), 0.84, 0.84, facecolor=HEX[obj.colour], edgecolor="black",
                              linewidth=2.0, zorder=7)
        else:
            patch = Circle((c, r), 0.42, facecolor=HEX[obj.colour], edgecolor="black", linewidth=1.0, zorder=7)
        patch.set_gid("object")
        patch.set_label(describe(obj.kind, obj.colour))
        ax.add_patch(patch)
        ink = "white" if obj.colour == Colour.BLUE else "black"  # keep the letter readable on dark blue
        rim = "black" if ink == "white" else "white"  # an outline keeps it readable over shading and small tiles
        ax.text(c, r, object_char(obj.kind, obj.colour), ha="center", va="center", color=ink, fontsize=letter_size,
                fontweight="bold", zorder=8, gid="object letter",
                path_effects=[patheffects.withStroke(linewidth=2.2, foreground=rim)])

    if agent is not None:
        _draw_agent(ax, level, level.start if isinstance(agent, str) and agent == "start" else agent, letter_size)
    if legend:
        _below_legend(ax, level_legend_handles(level, agent is not None), legend_columns)
    return ax


# --------------------------------------------------------------------------------------------------------------
# Trajectories
# --------------------------------------------------------------------------------------------------------------


def plot_trajectories(level: Level, paths, outcomes: Sequence[str] | None = None, ax=None, legend: bool = True,
                      title: str | None = None, legend_columns: int = 2):
    """Draw one or many paths over a level, from light grey (start) to black (end), with an end mark by outcome.

    Args:
        paths: one path (a sequence of tile numbers, e.g. ``Rollouts.path(i)``) or a list of paths on this level.
        outcomes: one outcome per path (``exit``, ``green_apple``, ``other_apple``, ``none``); default read off
            each path's last tile.

    Several paths are nudged apart a little so that paths sharing a corridor stay visible. Paths are drawn with
    ``gid="path"`` and end marks with ``gid="end <outcome>"``.
    """
    level = _check_level(level)
    if len(paths) == 0:
        raise ValueError("paths is empty: give one path (a list of tiles) or a list of paths.")
    if np.ndim(paths[0]) == 0:  # a single path of tile numbers
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
            colours = np.ones((len(segments), 4))  # the path fades into the past: light grey (start) to black
            colours[:, :3] = np.linspace(PATH_EARLIEST_GREY, 0.0, len(segments))[:, None]
            ax.add_collection(LineCollection(segments, colors=colours, linewidths=2.5 if n == 1 else 1.5,
                                             zorder=11, capstyle="butt", gid="path"))
        ax.plot(xy[-1, 0] + 0.3, xy[-1, 1] - 0.3, linestyle="none", marker=OUTCOME_MARKER[outcome], markersize=11,
                markerfacecolor=OUTCOME_FILL[outcome], markeredgecolor="black", zorder=12, gid=f"end {outcome}")
    if legend:
        handles = level_legend_handles(level)
        handles.append(Line2D([], [], color="black", linewidth=2, label="path (grey = earlier, black = later)"))
        for outcome in OUTCOMES:
            if outcome in outcomes:
                handles.append(Line2D([], [], linestyle="none", marker=OUTCOME_MARKER[outcome], markersize=10,
                                      markerfacecolor=OUTCOME_FILL[outcome], markeredgecolor="black",
                                      label=f"end: {OUTCOME_WORDS[outcome]}"))
        _below_legend(ax, handles, legend_columns)
    return ax


# --------------------------------------------------------------------------------------------------------------
# The map the agent learned: value map and policy field
# --------------------------------------------------------------------------------------------------------------


def _goal_tile(level: Level, goal) -> int:
    """A goal given as "exit", "green" (the first green apple), a tile number or a (row, column) pair."""
    width = level.shape[1]
    if isinstance(goal, str):
        if goal == "exit":
            chosen = [o for o in level.objects if o.kind == Kind.EXIT]
        elif goal == "green":
            chosen = [o for o in level.objects if o.kind == Kind.APPLE and o.colour == Colour.GREEN]
        else:
            raise ValueError(f"goal must be 'exit', 'green', a tile number or a (row, column) pair; got {goal!r}.")
        if not chosen:
            raise ValueError(f"This level has no {'green apple' if goal == 'green' else 'exit sign'} to aim at.")
        r, c = chosen[0].position
        return r * width + c
    if isinstance(goal, tuple) and len(goal) == 2:
        r, c = goal
        tile = int(r) * width + int(c)
    elif isinstance(goal, (int, np.integer)) and not isinstance(goal, bool):
        tile = int(goal)
    else:
        raise ValueError(f"goal must be 'exit', 'green', a tile number or a (row, column) pair; got {goal!r}.")
    if not 0 <= tile < level.walls.size or level.walls.ravel()[tile]:
        raise ValueError(f"goal tile {goal!r} is not a floor tile of this {level.shape[0]}x{level.shape[1]} level.")
    return tile


def plot_value_map(values, level: Level, goal="exit", ax=None, colorbar: bool = True, title: str | None = None,
                   legend: bool = True):
    """Shade every floor tile by how valuable it is for reaching ``goal``: the map the agent learned.

    Args:
        values: a :class:`~gmg_teach.agents.learner.LearnedAgent` or its
            :class:`~gmg_teach.agents.navigation.NavigationValues` (drawn: ``navigation.value_map(goal tile)``,
            the best move's value from each tile, ``γ^(k-1)`` for a tile k steps away once learned, 0 where the agent knows no
            way), or any array with one value per tile (for example value iteration's ``V``).
        goal: ``"exit"`` (default), ``"green"`` (the first green apple), a tile number or a (row, column) pair.

    The shading is on a fixed 0-to-1 scale, so maps from different moments of training compare at a glance. The
    image's array (``gid="value map"``) is exactly the values drawn, walls blank (NaN).
    """
    level = _check_level(level)
    goal_tile = _goal_tile(level, goal)
    navigation = getattr(values, "navigation", values)
    if isinstance(navigation, NavigationValues):
        if navigation.n_tiles != level.walls.size:
            raise ValueError(f"These navigation values are for {navigation.n_tiles} tiles, but the level has "
                             f"{level.walls.size}: was the agent trained in another building?")
        tile_values = navigation.value_map(goal_tile)
    else:
        tile_values = np.asarray(values, dtype=float).ravel()
        if tile_values.size != level.walls.size:
            raise ValueError(f"values must be an agent, its NavigationValues, or one number per tile "
                             f"({level.walls.size} for this level); got {tile_values.size} numbers.")
    shown = np.where(level.walls.ravel(), np.nan, tile_values)
    goal_words = {"exit": "the exit sign", "green": "the green apple"}.get(goal, "the goal") if isinstance(goal, str) \
        else "the goal"
    ax = plot_level(level, ax=ax, agent=None, legend=legend, title=title or f"Value map: towards {goal_words}")
    image = _tile_image(ax, level.shape, shown, VALUE_CMAP, 0.0, max(1.0, float(np.nanmax(shown, initial=0.0))),
                        "value map")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, shrink=0.7, label="value (1 = next to the goal, 0 = no known way)")
    return ax


def plot_policy_field(agent, levels, level: int = 0, ax=None, mark_decision_tiles=True, title: str | None = None,
                      legend: bool = True, seed: int = 0, legend_columns: int = 2):
    """The agent's policy as a vector field: from every free floor tile, an arrow for the move it would make.

    Args:
        agent: anything with ``act`` (a trained agent, a steered copy, a planner).
        levels: a :class:`Level`, or compiled tables with ``level`` the index of the one to draw.
        mark_decision_tiles: True (default) hatches the decision tiles
            (:func:`~gmg_teach.measure.decisions.decision_tiles`: the path between the exit sign and the green
            apple, where a step towards one is a step away from the other); a train level has no green apple and
            so none. Or give the tiles to mark yourself (a True/False array over tiles, or a list of tile numbers),
            for example a deploy level's decision tiles drawn on its train twin; False marks none.
        seed: breaks ties between equally good moves (``policy_field``'s ``rng``).
        legend_columns: columns of the legend below the maze (1 for panels side by side).

    The arrows (``gid="policy arrows"``) are exactly ``policy_field(agent, tables, level)``, one per tile; the
    decision tiles are patches with ``gid="decision tile"``.
    """
    lvl, tables, index = _level_and_tables(levels, level)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0; got {seed!r}.")
    moves = policy_field(agent, tables, index, rng=np.random.default_rng(seed))
    n_tiles = lvl.walls.size
    if mark_decision_tiles is True:
        try:
            marked = decision_tiles(tables, index)
        except ValueError:  # no green apple (a train level): nothing to decide
            marked = np.zeros(n_tiles, dtype=bool)
    elif mark_decision_tiles is False or mark_decision_tiles is None:
        marked = np.zeros(n_tiles, dtype=bool)
    else:
        marked = np.asarray(mark_decision_tiles)
        if marked.dtype != bool:
            tiles = marked.astype(np.int64).ravel()
            if tiles.size and (tiles.min() < 0 or tiles.max() >= n_tiles):
                raise ValueError(f"Decision tiles must be tile numbers from 0 to {n_tiles - 1}; got {tiles.tolist()}.")
            marked = np.zeros(n_tiles, dtype=bool)
            marked[tiles] = True
        elif marked.shape != (n_tiles,):
            raise ValueError(f"A True/False array of decision tiles needs one entry per tile ({n_tiles}); got shape "
                             f"{marked.shape}.")

    ax = plot_level(lvl, ax=ax, legend=False,
                    title=title or f"Where the agent goes from each tile ({lvl.distribution or 'level'} level)")
    width = lvl.shape[1]
    for tile in np.flatnonzero(marked):
        r, c = divmod(int(tile), width)
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="#DDDDDD", edgecolor="black", hatch="///",
                               linewidth=0.6, zorder=1, gid="decision tile"))
    tiles = np.flatnonzero(moves >= 0)
    rows, cols = np.divmod(tiles, width)
    delta = np.array(DELTAS)[moves[tiles]]
    # Data-coordinate arrows (the y axis points down, as rows do), 0.6 of a tile long, centred on the tile.
    ax.quiver(cols, rows, delta[:, 1], delta[:, 0], angles="xy", scale_units="xy", scale=1 / 0.6, pivot="middle",
              color="black", width=0.006, headwidth=4, zorder=6, gid="policy arrows")
    if legend:
        handles = level_legend_handles(lvl)
        handles.append(Line2D([], [], color="black", marker=r"$\rightarrow$", linestyle="none", markersize=12,
                              label="the agent's move from that tile"))
        if marked.any():
            handles.append(Patch(facecolor="#DDDDDD", edgecolor="black", hatch="///",
                                 label="decision tile (between exit and green apple)"))
        _below_legend(ax, handles, legend_columns)
    return ax


def plot_exit_probability(by_tile, walls, ax=None, colorbar: bool = True, title: str | None = None,
                          min_episodes: int = 1, legend: bool = True, outcome: str = "exit"):
    """A map of P(exit | decision tile): for each tile where episodes first met the exit-green path, the share of
    those episodes that went on to the exit.

    Args:
        by_tile: :func:`~gmg_teach.measure.decisions.exit_probability_by_decision_tile`'s answer
            ``{tile: (episodes, P(exit))}``, or deploy :class:`~gmg_teach.measure.rollouts.Rollouts` (it is then
            computed from them).
        walls: the building (``Distribution.walls`` or a level's ``walls``): episodes differ in where the objects
            stand, so only the building is drawn.
        min_episodes: leave out tiles met by fewer episodes (their share is too noisy to read).
        colorbar: a colour bar beside the map (in its own inset, so the map keeps the size of its neighbours).
        legend: a legend below naming the marks: the dead ends (where the objects stand, a different few in each
            episode) and the tiles where no episode decided.
        outcome: the word for what the share counts (lesson 4's gallery draws P(cheese | decision tile)).

    The image (``gid="exit probability"``) holds P(exit) on each drawn tile and NaN elsewhere; the dead-end marks
    are ``gid="dead ends"``.
    """
    if isinstance(by_tile, Rollouts):
        by_tile = exit_probability_by_decision_tile(by_tile)
    if not isinstance(by_tile, Mapping):
        raise ValueError("by_tile must be {tile: (episodes, P(exit))} (exit_probability_by_decision_tile) or deploy "
                         f"Rollouts; got {type(by_tile).__name__}.")
    walls = np.asarray(walls)
    if isinstance(min_episodes, bool) or not isinstance(min_episodes, (int, np.integer)) or min_episodes < 1:
        raise ValueError(f"min_episodes must be a whole number >= 1; got {min_episodes!r}.")
    shown = np.full(walls.size, np.nan)
    for tile, entry in by_tile.items():
        n, p = entry
        if not 0 <= int(tile) < walls.size:
            raise ValueError(f"Tile {tile} is outside this {walls.shape[0]}x{walls.shape[1]} building.")
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"P(exit) at tile {tile} is {p}, not a probability between 0 and 1.")
        if n >= min_episodes:
            shown[int(tile)] = float(p)
    ax = plot_building(walls, ax=ax, title=title or f"P({outcome} | decision tile)")
    image = _tile_image(ax, walls.shape, shown, PROBABILITY_CMAP, 0.0, 1.0, "exit probability")
    ends = dead_ends(walls)
    if ends:
        rows, cols = zip(*[divmod(int(t), walls.shape[1]) if np.ndim(t) == 0 else t for t in ends])
        ax.plot(cols, rows, linestyle="none", marker="D", markersize=5, markerfacecolor="white",
                markeredgecolor="black", markeredgewidth=0.8, zorder=5, gid="dead ends")
    if colorbar:
        bar = ax.figure.colorbar(image, cax=ax.inset_axes([1.04, 0.1, 0.05, 0.8]))
        bar.set_label(f"share of episodes that went to the {outcome}", fontsize=9)
        bar.ax.tick_params(labelsize=8)
    if legend:
        _below_legend(ax, [
            Line2D([], [], linestyle="none", marker="D", markersize=6, markerfacecolor="white",
                   markeredgecolor="black", label="dead end: where objects stand (they move between episodes)"),
            Patch(facecolor=FLOOR_HEX, edgecolor="black", label="floor where no episode decided"),
        ], columns=1)
    return ax


# --------------------------------------------------------------------------------------------------------------
# The goal the agent learned
# --------------------------------------------------------------------------------------------------------------


def _weights_of(source, where: str) -> dict[str, float]:
    goal = getattr(source, "goal", source)
    if isinstance(goal, GoalModel):
        return goal.as_dict()
    if isinstance(goal, Mapping):
        unknown = sorted(set(goal) - set(FEATURE_NAMES))
        if unknown:
            raise ValueError(f"{where}: unknown goal feature(s) {unknown}; the features are {', '.join(FEATURE_NAMES)}.")
        return {name: float(goal.get(name, 0.0)) for name in FEATURE_NAMES}
    raise ValueError(f"{where}: expected a GoalModel, an agent with a .goal, or {{feature: weight}}; got "
                     f"{type(source).__name__}.")


def plot_goal_weights(weights, ax=None, title: str | None = None, hatches: Sequence[str] = ("", "//", "..", "xx"),
                      compact: bool = False):
    """Bar chart of the goal weights: what the agent believes each feature of an object is worth (reward units).

    Args:
        weights: a :class:`~gmg_teach.agents.goal_model.GoalModel`, an agent (its ``.goal``), ``{feature: weight}``
            (``GoalModel.as_dict()``), or several of these by name, ``{"proxy learner": agent, "control": other}``,
            drawn as groups told apart by hatching and the legend.
        compact: for small panels: one-line tick labels ("exit sign", "green (G)", ...) turned 45 degrees; text
            still at 8 pt.

    Bars of height zero (under 0.005) carry no number, so that labels never run into their neighbours'; with several
    sets of weights the numbers stand upright on their bars.

    An object's estimated reward is its kind's weight plus its colour's weight. Colour bars are filled with that
    colour and labelled with its name and letter; kind bars are white. Bars carry ``gid="<name>:<feature>"``
    (name ``weights`` for a single set).
    """
    if isinstance(weights, Mapping) and weights and all(isinstance(k, str) and k in FEATURE_NAMES for k in weights):
        groups = {"weights": _weights_of(weights, "weights")}
    elif isinstance(weights, Mapping):
        if not weights:
            raise ValueError("weights is empty: give a GoalModel, an agent, or {feature: weight}.")
        groups = {str(name): _weights_of(w, f"weights[{name!r}]") for name, w in weights.items()}
    else:
        groups = {"weights": _weights_of(weights, "weights")}
    if len(groups) > len(hatches):
        raise ValueError(f"At most {len(hatches)} sets of weights fit one chart; got {len(groups)}.")
    ax = _get_ax(ax, figsize=(6, 3.5))
    fills = ["white"] * 2 + [HEX[c] for c in Colour]
    width = 0.8 / len(groups)
    x = np.arange(len(FEATURE_NAMES))
    for k, (name, w) in enumerate(groups.items()):
        heights = [w[f] for f in FEATURE_NAMES]
        bars = ax.bar(x + (k - (len(groups) - 1) / 2) * width, heights, width, color=fills, edgecolor="black",
                      hatch=hatches[k], linewidth=0.8)
        for bar, feature in zip(bars, FEATURE_NAMES):
            bar.set_gid(f"{name}:{feature}")
        ax.bar_label(bars, labels=["" if abs(h) < 0.005 else f"{h:+.2f}" for h in heights], fontsize=8, padding=2,
                     rotation=90 if len(groups) > 1 else 0)
    if len(groups) > 1:
        ax.legend(handles=[Patch(facecolor="white", edgecolor="black", hatch=hatches[k], label=name)
                           for k, name in enumerate(groups)], fontsize=8, frameon=False, loc="upper right")
    ax.axhline(0, color="black", linewidth=0.8)
    words = FEATURE_WORDS_SHORT if compact else FEATURE_WORDS
    if compact:
        ax.set_xticks(x, [words[f] for f in FEATURE_NAMES], fontsize=8, rotation=45, ha="right",
                      rotation_mode="anchor")
    else:
        ax.set_xticks(x, [words[f] for f in FEATURE_NAMES], fontsize=8)
    ax.set_ylabel("weight (reward units)")
    lows = min(0.0, *(min(w.values()) for w in groups.values()))
    highs = max(1.0, *(max(w.values()) for w in groups.values()))
    room = 0.25 if len(groups) > 1 else 0.1  # upright numbers under negative bars need more room
    ax.set_ylim(lows - room * (highs - lows), highs + max(room, 0.15) * (highs - lows))
    ax.set_title(title or "What the agent believes each feature is worth", fontsize=10)
    return ax


# --------------------------------------------------------------------------------------------------------------
# Learning curves and outcome bars
# --------------------------------------------------------------------------------------------------------------

# Which columns of a learning-curve row each picture draws, in the order the lesson's prose names them, how they are
# named, and how they are drawn (line style + marker, so the curves differ without colour too).
CURVE_COLUMNS = {
    "path_efficiency": (
        ("path_efficiency_median", "the agent", "-", "o", "black"),
        ("navigation_efficiency_median", "its map alone, aimed at the exit", "--", "s", HEX[Colour.BLUE]),
    ),
    "success": (
        ("success", "held out: the agent reached the exit", "-", "o", "black"),
        ("navigation_success", "held out: its map alone, aimed at the exit, reached it", "--", "s", HEX[Colour.BLUE]),
    ),
    "deploy": (
        ("deploy_exit", "deploy: reached the exit (intended goal)", "-.", "D", WALL_HEX),
        ("deploy_green_apple", "deploy: reached a green apple (proxy goal)", ":", "^", HEX[Colour.GREEN]),
    ),
}
CURVE_Y_LABELS = {"path_efficiency": "steps / shortest path\n(median over episodes that reached an object)",
                  "success": "share of held-out episodes", "deploy": "share of deploy episodes"}
CURVE_X_LABELS = {"moves": "moves of experience (all parallel episodes)", "episodes": "training episodes finished"}


def plot_learning_curve(rows: Sequence[Mapping], quantity: str = "path_efficiency", x: str = "moves", ax=None,
                        title: str | None = None, legend: str = "inside", xscale: str = "symlog"):
    """A learning curve from :func:`gmg_teach.experiments.learning_curve` rows (or the live panel's rows).

    Args:
        quantity: ``"path_efficiency"`` (steps over the shortest path; 1 is perfect, with a dotted line there),
            ``"success"`` (share of held-out episodes reaching the exit) or ``"deploy"`` (exit and green apple on
            deploy episodes, for rows that have them). Draw two on one ``ax`` to overlay them.
        x: ``"moves"`` (experience, counted over all the episodes run side by side) or ``"episodes"``.
        legend: ``"inside"`` the axes, ``"below"`` them, or ``"none"``.
        xscale: ``"symlog"`` (default: linear from 0 to the first measurement, logarithmic after it, so the early
            moments are not squeezed into the corner) or ``"linear"``. Every learning curve of the course uses the
            default.

    Lines carry the column they draw as ``gid``; missing values (no episode reached an object) are gaps. The first
    series of a picture is drawn wide, the second thin with open markers on top, so that curves which coincide both
    stay visible.
    """
    rows = list(rows)
    if quantity not in CURVE_COLUMNS:
        raise ValueError(f"quantity must be one of {', '.join(CURVE_COLUMNS)}; got {quantity!r}.")
    if x not in CURVE_X_LABELS:
        raise ValueError(f"x must be 'moves' or 'episodes'; got {x!r}.")
    if xscale not in ("symlog", "linear"):
        raise ValueError(f"xscale must be 'symlog' or 'linear'; got {xscale!r}.")
    if legend not in ("inside", "below", "none"):
        raise ValueError(f"legend must be 'inside', 'below' or 'none'; got {legend!r}.")
    if not rows:
        raise ValueError("rows is empty: give the rows of experiments.learning_curve (one dict per checkpoint).")
    if any(x not in row for row in rows):
        raise ValueError(f"Every learning-curve row needs a {x!r} column.")
    present = [spec for spec in CURVE_COLUMNS[quantity] if any(spec[0] in row for row in rows)]
    if not present:
        raise ValueError(f"No row has a column for {quantity!r} (looked for "
                         f"{', '.join(s[0] for s in CURVE_COLUMNS[quantity])}).")
    ax = _get_ax(ax, figsize=(5.5, 3.5))
    xs = np.array([float(row[x]) for row in rows])
    for k, (column, label, linestyle, marker, colour) in enumerate(present):
        ys = np.array([np.nan if row.get(column) is None else float(row[column]) for row in rows])
        # The first series is drawn wide and the second thin and open on top of it, so both stay visible where they
        # coincide (on train episodes the agent and its map alone are the same curve).
        ax.plot(xs, ys, linestyle=linestyle, marker=marker, color=colour, label=label, gid=column,
                **({"linewidth": 4, "markersize": 9} if k == 0 else
                   {"linewidth": 1.6, "markersize": 6, "markerfacecolor": "white", "zorder": 3}))
    if quantity == "path_efficiency":
        ax.axhline(1.0, color="grey", linestyle=":", linewidth=1, label="1 = the shortest path")
        ax.set_ylim(bottom=0)
    else:
        ax.set_ylim(-0.02, 1.02)
    positive = xs[xs > 0]
    if xscale == "symlog" and positive.size and positive.max() > positive.min():  # stretch the start
        threshold = float(positive.min())
        ax.set_xscale("symlog", linthresh=threshold, linscale=0.5)
        ax.set_xlim(0, float(positive.max()) * 1.15)
        decades = range(int(np.ceil(np.log10(threshold))), int(np.floor(np.log10(positive.max()))) + 1)
        ax.xaxis.set_major_locator(FixedLocator([0.0] + [10.0 ** d for d in decades]))
        ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel(CURVE_X_LABELS[x])
    ax.set_ylabel(CURVE_Y_LABELS[quantity])
    ax.set_title(title or {"path_efficiency": "Path efficiency on held-out episodes", "success": "Success on "
                           "held-out episodes", "deploy": "Where deploy episodes end"}[quantity], fontsize=10)
    if legend == "inside":
        ax.legend(fontsize=9, frameon=False, loc="best")
    elif legend == "below":
        ax.legend(fontsize=9, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    return ax


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
            for i, (name, height) in enumerate(zip(names, heights)):
                low, high = ci.get(name, {}).get(outcome, (height, height))
                if not low - 1e-6 <= height <= high + 1e-6:
                    raise ValueError(
                        f"The interval ({low}, {high}) for {name!r} {outcome!r} does not contain the rate {height}: "
                        "give (low, high) bounds, not (rate, half-width)."
                    )
                low_high.append((max(height - low, 0.0), max(high - height, 0.0)))
                tops[i] = max(height, high)
            ax.errorbar(x, heights, yerr=np.array(low_high).T, fmt="none", ecolor="black", capsize=3, linewidth=1,
                        label=f"_ci {outcome}")  # a leading "_" keeps it out of the legend
        for xk, height, top in zip(x, heights, tops):
            if height > 0:
                ax.text(xk, top + 0.015, f"{height:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(np.arange(len(names)), names)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("share of episodes")
    ax.set_title(title or "Where do the episodes end?", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax
