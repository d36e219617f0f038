"""Navigation, learned: a goal-conditioned value table filled in from the agent's own moves.

The agent does not get a map. It records each move it makes (from tile ``s``, action ``a``, it arrived at ``s'``)
and learns ``Q[s, a, g]``: how good move ``a`` is from ``s`` for reaching tile ``g``, *for every tile g at once*
(all-goals Q-learning, Kaelbling 1993; relabelling every move with every goal is the idea behind hindsight
experience replay, Andrychowicz et al. 2017)::

    Q[s, a, g]  <-  1                              if s' == g   (arrived: reward 1, the episode would end)
                    discount * max_a' Q[s', a', g] otherwise

The world is deterministic, so a learning rate of 1 is the textbook choice and each experienced move is stored
once. Replaying the stored moves (experience replay, Lin 1992) carries values one step further each sweep: a
fresh agent knows nothing (all zeros: it wanders), and after enough experience ``Q[s, a, g]`` is
``discount ** (steps from s to g via a) / discount``. Moves it never made stay unknown, so a renovated building,
whose walls moved, leaves its map wrong exactly there.

Only tiles the agent has stood on take part (a tile it never saw cannot be aimed at or planned from): each gets an
index, in the order the agent found it, and the table is kept in those indices, so a sweep only touches what it
knows.

Nothing here calls a shortest-path or maze-distance function: the only input is experience.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..world.levels import N_ACTIONS


@dataclass(eq=False)
class NavigationValues:
    """The learned map: ``q[s, a, g]`` plus the moves experienced so far.

    Attributes:
        q: ``(known, 4, known)`` value of action ``a`` from known tile ``i`` for reaching known tile ``j`` (tiles
            by their ``column`` index; the array is allocated for every tile, the first ``n_known`` are used).
        column: ``(tiles,)`` the index of each tile the agent has stood on, -1 for one it never has (values 0).
        tried: ``(tiles, 4)`` which moves the agent has made at least once.
        arrived: ``(tiles, 4)`` where each tried move led (meaningless where ``tried`` is False).
        discount: how much a step costs: a goal ``k`` steps away is worth ``discount ** (k - 1)`` (1 one step away).
    """

    q: np.ndarray
    column: np.ndarray
    tried: np.ndarray
    arrived: np.ndarray
    discount: float

    @classmethod
    def empty(cls, n_tiles: int, discount: float = 0.95) -> "NavigationValues":
        if isinstance(n_tiles, bool) or not isinstance(n_tiles, (int, np.integer)) or n_tiles < 1:
            raise ValueError(f"n_tiles must be a whole number >= 1; got {n_tiles!r}.")
        if isinstance(discount, bool) or not isinstance(discount, (int, float, np.floating)) or not 0 < discount < 1:
            raise ValueError(f"discount must be between 0 and 1 (exclusive); got {discount!r}.")
        n = int(n_tiles)
        return cls(np.zeros((n, N_ACTIONS, n), np.float32), np.full(n, -1, np.int64),
                   np.zeros((n, N_ACTIONS), bool), np.zeros((n, N_ACTIONS), np.int64), float(discount))

    @property
    def n_tiles(self) -> int:
        return self.q.shape[0]

    @property
    def n_known(self) -> int:
        """How many tiles the agent has stood on (its goal columns)."""
        return int((self.column >= 0).sum())

    # --- the idea -------------------------------------------------------------------------------------------------
    def record(self, tile, action, next_tile) -> None:
        """Remember moves the agent made (arrays of one length)."""
        tile, action, next_tile = np.asarray(tile), np.asarray(action), np.asarray(next_tile)
        self.tried[tile, action] = True
        self.arrived[tile, action] = next_tile
        seen = np.concatenate([tile.ravel(), next_tile.ravel()])
        new = seen[self.column[seen] < 0]
        if new.size:  # tiles stood on for the first time get goal columns, in the order found
            new = np.unique(new)
            self.column[new] = self.n_known + np.arange(len(new))

    def replay(self) -> None:
        """One sweep of all-goals Q-learning over every move experienced so far (all known goals at once)."""
        tiles, actions = np.nonzero(self.tried)
        here, landed = self.column[tiles], self.column[self.arrived[tiles, actions]]
        k = self.n_known
        value = self.q[:k, :, :k].max(axis=1)  # (known, goals): the best move's value from each known tile
        target = self.discount * value[landed]  # (moves, goals): bootstrap from where each move landed
        target[np.arange(len(landed)), landed] = 1.0  # the move arrived at that goal
        self.q[here, actions, :k] = target

    # --- what lessons and the agent read ---------------------------------------------------------------------------
    def action_values(self, tile, goal_tiles) -> np.ndarray:
        """``(batch, objects, 4)`` values of the four moves from ``tile`` (batch,) towards ``goal_tiles``."""
        tile, goal_tiles = np.asarray(tile), np.asarray(goal_tiles)
        largest = max(int(tile.max(initial=0)), int(goal_tiles.max(initial=0)))
        if largest >= self.n_tiles:
            side = int(round(self.n_tiles ** 0.5))
            raise ValueError(f"This agent's map covers the {self.n_tiles} tiles of the building it learned "
                             f"({side}x{side} tiles, a {(side - 1) // 2}x{(side - 1) // 2}-cell maze), but it was "
                             f"asked about tile {largest}, which that building does not have. An agent can only act "
                             "in a building of the size it learned: train it with the same size as the levels.")
        row = self.column[tile][:, None, None]
        column = self.column[goal_tiles][:, :, None]
        values = self.q[np.maximum(row, 0), np.arange(N_ACTIONS)[None, None, :], np.maximum(column, 0)]
        return np.where((row >= 0) & (column >= 0), values, 0.0).astype(float)

    def value_map(self, goal_tile: int) -> np.ndarray:
        """``(tiles,)`` the best move's value from every tile towards one goal tile (what a value map draws)."""
        column = self.column[int(goal_tile)]
        if column < 0:
            return np.zeros(self.n_tiles)
        best = self.q[np.maximum(self.column, 0), :, column].max(axis=1).astype(float)
        return np.where(self.column >= 0, best, 0.0)

    def coverage(self) -> float:
        """Share of the moves from tiles the agent has stood on that it has tried."""
        stood = self.tried.any(axis=1)
        return float(self.tried[stood].mean()) if stood.any() else 0.0
