"""Levels: seeded procedural mazes (the *building*), renovations of them, and hand-drawn levels as ASCII art.

A level is a grid of tiles (walls and floor), a start tile for the agent, and objects. Each object has a *kind*
(exit sign or apple) and a *colour*. The walls come from :func:`generate_maze`: one fixed maze, the building the
agent lives in, shared by every episode and every distribution. What changes from episode to episode is the start,
where the objects stand (dead ends) and their colours (``distributions.py``). :func:`renovate` moves some walls of
a building, keeping every tile reachable: the natural shift that breaks an agent's learned map.

ASCII legend (one character a tile)::

    #  wall            .  floor           A  the agent's start
    G O Y B  the exit sign, coloured green / orange / yellow / blue   (upper case: the sign)
    g o y b  an apple,      coloured green / orange / yellow / blue   (lower case: an apple)

For example, a corridor with the green exit to the right and an orange apple to the left::

    #######
    #o.A.G#
    #######
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from .palette import COLOUR_BY_LETTER, Colour, Kind, object_char



class Action(IntEnum):
    """The four moves, clockwise from north. The one action enum of the package."""

    UP = 0
    RIGHT = 1
    DOWN = 2
    LEFT = 3

    @property
    def word(self) -> str:
        return self.name.lower()


# One direction table for the whole package, indexed by Action: (row change, column change).
DELTAS = ((-1, 0), (0, 1), (1, 0), (0, -1))
N_ACTIONS = len(Action)

MIN_SIZE, MAX_SIZE = 3, 15  # maze size in cells per side (the learned map grows as tiles squared)


@dataclass(frozen=True)
class MazeObject:
    """One object in a level: what it is, what colour it is, where it stands (row, column)."""

    kind: Kind
    colour: Colour
    position: tuple[int, int]


@dataclass(frozen=True, eq=False)
class Level:
    """A single level. ``walls[r, c]`` is True for a wall tile. The exit sign is always ``objects[0]``."""

    walls: np.ndarray
    start: tuple[int, int]
    objects: tuple[MazeObject, ...]
    seed: int | None = None
    distribution: str | None = field(default=None, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        return self.walls.shape

    @property
    def exit(self) -> MazeObject:
        return self.objects[0]

    def to_ascii(self) -> str:
        """The level as ASCII art (see the module docstring for the legend)."""
        rows = [["#" if w else "." for w in row] for row in self.walls]
        for obj in self.objects:
            rows[obj.position[0]][obj.position[1]] = object_char(obj.kind, obj.colour)
        rows[self.start[0]][self.start[1]] = "A"
        return "\n".join("".join(r) for r in rows)

    def __repr__(self) -> str:
        return f"Level(seed={self.seed}, distribution={self.distribution!r})\n{self.to_ascii()}"


class LevelError(ValueError):
    """A level (drawn or generated) that cannot be played; the message says what to fix."""


def maze_distances(walls: np.ndarray, source: tuple[int, int], blocked: set[tuple[int, int]] = frozenset()):
    """Breadth-first maze distance from ``source`` to every tile (-1 where unreachable).

    Tiles in ``blocked`` (other objects: touching one ends the episode) get a distance but are not walked through.
    """
    h, w = walls.shape
    floor = (~walls).ravel().tolist()  # plain Python lists: this loop runs for every object of every level
    dist = [-1] * (h * w)
    start = source[0] * w + source[1]
    stop = {r * w + c for r, c in blocked} - {start}
    dist[start] = 0
    queue = deque([start])
    while queue:
        tile = queue.popleft()
        if tile in stop:
            continue
        d = dist[tile] + 1
        r, c = divmod(tile, w)
        for neighbour, inside in ((tile - w, r > 0), (tile + 1, c < w - 1), (tile + w, r < h - 1), (tile - 1, c > 0)):
            if inside and floor[neighbour] and dist[neighbour] < 0:
                dist[neighbour] = d
                queue.append(neighbour)
    return np.array(dist, dtype=np.int32).reshape(h, w)


def check_level(level: Level) -> Level:
    """Raise :class:`LevelError` unless every object can be reached from the start without touching another."""
    positions = [o.position for o in level.objects]
    if len(set(positions)) != len(positions) or level.start in positions:
        raise LevelError("Two things share a tile: the start and every object need a tile of their own.")
    if not level.objects or level.objects[0].kind != Kind.EXIT or any(o.kind == Kind.EXIT for o in level.objects[1:]):
        raise LevelError("A level needs exactly one exit sign, listed first.")
    for pos in [level.start, *positions]:
        if level.walls[pos]:
            raise LevelError(f"Tile {pos} is a wall, but something stands on it.")
    dist = maze_distances(level.walls, level.start, blocked=set(positions))
    for obj in level.objects:
        if dist[obj.position] < 0:
            raise LevelError(
                f"The {object_char(obj.kind, obj.colour)} at row {obj.position[0]}, column {obj.position[1]} cannot "
                "be reached from the start without walking through a wall or another object. Every object must "
                "be reachable."
            )
    return level


def parse_level(art: str, seed: int | None = None) -> Level:
    """Build a :class:`Level` from ASCII art (legend in the module docstring).

    Blank lines at the top and bottom and common indentation are ignored. Raises :class:`LevelError` with the row
    and column of the first problem.
    """
    if not isinstance(art, str):
        raise LevelError(f"A level must be given as a string of ASCII art, not {type(art).__name__}.")
    lines = [line.strip() for line in art.strip("\n").splitlines() if line.strip()]
    if not lines:
        raise LevelError("The ASCII level is empty: draw at least one row, e.g. '#A.G#'.")
    widths = {len(line) for line in lines}
    if len(widths) != 1:
        raise LevelError(
            f"Every row of an ASCII level must have the same width; got widths {sorted(widths)}. "
            "Pad short rows with '#'."
        )
    walls = np.zeros((len(lines), len(lines[0])), dtype=bool)
    start, exit_sign, apples = None, [], []
    for r, line in enumerate(lines):
        for c, ch in enumerate(line):
            if ch == "#":
                walls[r, c] = True
            elif ch == ".":
                pass
            elif ch == "A":
                if start is not None:
                    raise LevelError(f"Two starts 'A' (row {start[0]} and row {r}): draw exactly one.")
                start = (r, c)
            elif ch.upper() in COLOUR_BY_LETTER:
                colour = COLOUR_BY_LETTER[ch.upper()]
                if ch.isupper():
                    exit_sign.append(MazeObject(Kind.EXIT, colour, (r, c)))
                else:
                    apples.append(MazeObject(Kind.APPLE, colour, (r, c)))
            else:
                raise LevelError(
                    f"Unknown character {ch!r} at row {r}, column {c}. Allowed: '#' wall, '.' floor, 'A' start, "
                    "G/O/Y/B exit sign, g/o/y/b apple."
                )
    if start is None:
        raise LevelError("The level has no start: put one 'A' on a floor tile.")
    if len(exit_sign) != 1:
        raise LevelError(f"A level needs exactly one exit sign (G, O, Y or B, upper case); found {len(exit_sign)}.")
    return check_level(Level(walls, start, tuple(exit_sign + apples), seed=seed, distribution="ascii"))


def generate_maze(size: int, rng: np.random.Generator) -> np.ndarray:
    """A random perfect maze of ``size`` x ``size`` cells as a wall grid of (2*size+1)^2 tiles.

    Randomised Kruskal: knock down walls between cells in random order unless the two cells are already connected.
    A perfect maze is a tree, so the shortest path between any two tiles is unique.
    """
    n = 2 * size + 1
    walls = np.ones((n, n), dtype=bool)
    walls[1::2, 1::2] = False
    parent = list(range(size * size))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    edges = [(r * size + c, r * size + c + 1) for r in range(size) for c in range(size - 1)]
    edges += [(r * size + c, (r + 1) * size + c) for r in range(size - 1) for c in range(size)]
    for k in rng.permutation(len(edges)):
        a, b = edges[k]
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
            (r1, c1), (r2, c2) = divmod(a, size), divmod(b, size)
            walls[r1 + r2 + 1, c1 + c2 + 1] = False  # the wall tile between the two cells
    return walls


def dead_ends(walls: np.ndarray) -> list[tuple[int, int]]:
    """Cell-centre tiles with exactly one open side: where objects are placed, so no object blocks another."""
    up, down = walls[0:-2:2, 1::2], walls[2::2, 1::2]
    left, right = walls[1::2, 0:-2:2], walls[1::2, 2::2]
    open_sides = 4 - (up.astype(int) + down + left + right)
    rows, cols = np.nonzero(open_sides == 1)  # row-major order, like a reading of the maze
    return [(int(2 * r + 1), int(2 * c + 1)) for r, c in zip(rows, cols)]


def check_size(size, n_apples) -> None:
    """Clear errors for a maze that cannot hold its objects."""
    if not isinstance(size, (int, np.integer)) or not MIN_SIZE <= size <= MAX_SIZE:
        raise LevelError(f"size must be a whole number of cells from {MIN_SIZE} to {MAX_SIZE}; got {size!r}.")
    if not isinstance(n_apples, (int, np.integer)) or n_apples < 1:
        raise LevelError(f"n_apples must be a whole number >= 1; got {n_apples!r}.")
    most = size * size // 6
    if n_apples + 1 > most:
        raise LevelError(
            f"A {size}x{size} maze is too small for 1 exit sign and {n_apples} apples: it has room for at most "
            f"{most} objects. Use a larger size or fewer apples."
        )


def cell_tiles(walls: np.ndarray) -> list[tuple[int, int]]:
    """The cell-centre tiles of a maze (odd row, odd column), row by row: where an episode may start."""
    return [(r, c) for r in range(1, walls.shape[0], 2) for c in range(1, walls.shape[1], 2) if not walls[r, c]]


def renovate(walls: np.ndarray, moves: int, rng: np.random.Generator) -> np.ndarray:
    """The building with ``moves`` walls moved: each move knocks a new doorway through a wall between two cells and
    bricks up one passage on the loop that doorway made, so the maze stays a perfect maze (every tile reachable,
    one path between any two). The agent's learned map is then wrong exactly where walls moved.
    """
    if not isinstance(moves, (int, np.integer)) or moves < 0:
        raise LevelError(f"moves (walls to move) must be a whole number >= 0; got {moves!r}.")
    walls = walls.copy()
    h, w = walls.shape
    for _ in range(int(moves)):
        # A wall tile between two cells, on the inside of the maze, that is standing now.
        closed = [(r, c) for r in range(1, h - 1) for c in range(1, w - 1)
                  if walls[r, c] and (r % 2) != (c % 2)]
        r, c = closed[rng.integers(len(closed))]
        a, b = ((r - 1, c), (r + 1, c)) if r % 2 == 0 else ((r, c - 1), (r, c + 1))
        # The old path from a to b (unique in a perfect maze): brick up one of its passages, then open (r, c).
        dist = maze_distances(walls, b)
        path, tile = [], a
        while tile != b:
            step = next((tile[0] + dr, tile[1] + dc) for dr, dc in DELTAS
                        if 0 <= tile[0] + dr < h and 0 <= tile[1] + dc < w
                        and dist[tile[0] + dr, tile[1] + dc] == dist[tile] - 1)
            path.append(step)
            tile = step
        passages = [t for t in path[:-1] if (t[0] % 2) != (t[1] % 2)]  # the doorway tiles between cells
        walls[passages[rng.integers(len(passages))]] = True
        walls[r, c] = False
    return walls
