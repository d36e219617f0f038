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
        q: ``(tiles, 4, tiles)`` value of action ``a`` from tile ``s`` for reaching tile ``g``.
        tried: ``(tiles, 4)`` which moves the agent has made at least once.
        arrived: ``(tiles, 4)`` where each tried move led (meaningless where ``tried`` is False).
        discount: how much a step costs: reaching ``g`` ``k`` steps later is worth ``discount ** k``.
    """

    q: np.ndarray
    tried: np.ndarray
    arrived: np.ndarray
    discount: float

    @classmethod
    def empty(cls, n_tiles: int, discount: float = 0.95) -> "NavigationValues":
        if isinstance(n_tiles, bool) or not isinstance(n_tiles, (int, np.integer)) or n_tiles < 1:
            raise ValueError(f"n_tiles must be a whole number >= 1; got {n_tiles!r}.")
        if not 0.0 < discount < 1.0:
            raise ValueError(f"discount must be between 0 and 1 (exclusive); got {discount!r}.")
        n = int(n_tiles)
        return cls(np.zeros((n, N_ACTIONS, n)), np.zeros((n, N_ACTIONS), bool), np.zeros((n, N_ACTIONS), np.int64),
                   float(discount))

    @property
    def n_tiles(self) -> int:
        return self.q.shape[0]

    # --- the idea -------------------------------------------------------------------------------------------------
    def record(self, tile, action, next_tile) -> None:
        """Remember moves the agent made (arrays of one length)."""
        self.tried[tile, action] = True
        self.arrived[tile, action] = next_tile

    def replay(self) -> None:
        """One sweep of all-goals Q-learning over every move experienced so far (all goals at once)."""
        tiles, actions = np.nonzero(self.tried)
        landed = self.arrived[tiles, actions]
        target = self.discount * self.q[landed].max(axis=1)  # (moves, goals): bootstrap from where it landed
        target[np.arange(len(landed)), landed] = 1.0  # the move arrived at that goal
        self.q[tiles, actions, :] = target

    # --- what lessons and the agent read ---------------------------------------------------------------------------
    def action_values(self, tile, goal_tiles) -> np.ndarray:
        """``(batch, objects, 4)`` values of the four moves from ``tile`` (batch,) towards ``goal_tiles``."""
        tile = np.asarray(tile)[:, None, None]
        goals = np.asarray(goal_tiles)[:, :, None]
        return self.q[tile, np.arange(N_ACTIONS)[None, None, :], goals]

    def value_map(self, goal_tile: int) -> np.ndarray:
        """``(tiles,)`` the best move's value from every tile towards one goal tile (what a value map draws)."""
        return self.q[:, :, int(goal_tile)].max(axis=1)

    def coverage(self) -> float:
        """Share of the moves from tiles the agent has stood on that it has tried."""
        stood = self.tried.any(axis=1)
        return float(self.tried[stood].mean()) if stood.any() else 0.0
