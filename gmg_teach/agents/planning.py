"""Planning with the true map: the reference answer that learned behaviour is checked against.

Rewards are paid on *entering* a tile; entering an object's tile ends the episode. Any reward function over tiles
can be planned for, which is how lessons compare candidate goals ("reach the exit", "reach anything green",
"nothing at all", ...): plan under each, and see where the optimal behaviours agree and where they split.

:func:`value_iteration` is the general solver. :func:`object_q_values` is its closed form for "reach object o" in
these mazes (value ``discount ** steps``), computed from the maze distances for every level at once; a test checks
that the two agree. A :class:`Planner` acts on such values: it is given the map, so it is a measuring stick, not an
agent that learned anything.
"""

from __future__ import annotations

import numpy as np

from ..world.palette import Kind
from ..world.tables import UNREACHABLE, MazeTables


def exit_reward(tables: MazeTables, level: int = 0) -> np.ndarray:
    """The environment's own reward: 1 for entering the exit sign's tile, 0 elsewhere."""
    reward = np.zeros(tables.n_tiles)
    reward[tables.object_tile[level, tables.object_kind[level] == Kind.EXIT]] = 1.0
    return reward


def value_iteration(
    tables: MazeTables,
    level: int = 0,
    reward: np.ndarray | None = None,
    discount: float = 0.95,
    terminal: np.ndarray | None = None,
    tolerance: float = 1e-10,
    max_sweeps: int = 10_000,
):
    """Optimal ``Q[tile, action]`` and ``V[tile]`` for one level.

    Args:
        reward: reward for entering each tile, shape ``(n_tiles,)``; default :func:`exit_reward`.
        terminal: tiles that end the episode; default every object's tile.
    """
    if not 0 <= discount < 1:
        raise ValueError(f"discount must be in [0, 1); got {discount}.")
    if not isinstance(level, (int, np.integer)) or not 0 <= level < tables.n_levels:
        raise ValueError(f"level must be an index from 0 to {tables.n_levels - 1}; got {level!r}.")
    reward = exit_reward(tables, level) if reward is None else np.asarray(reward, dtype=float)
    if reward.shape != (tables.n_tiles,):
        raise ValueError(f"reward must have one value per tile, shape ({tables.n_tiles},); got {reward.shape}.")
    terminal = tables.object_at[level] >= 0 if terminal is None else np.asarray(terminal, dtype=bool)
    nxt = tables.next_state[level]
    return solve_transitions(nxt, reward[nxt], terminal, discount, tolerance, max_sweeps)


def solve_transitions(next_state, reward, terminal, discount: float, tolerance: float = 1e-10,
                      max_sweeps: int = 10_000):
    """Value iteration on bare tables: ``Q[s, a] = reward[s, a] + discount * V[next_state[s, a]]``.

    ``V`` is 0 on terminal tiles (the episode ends there) and ``max_a Q[s, a]`` elsewhere; iterated from ``V = 0``
    until it changes by less than ``tolerance``. Returns ``(Q, V)``.
    """
    next_state = np.asarray(next_state)
    reward = np.asarray(reward, dtype=float)
    terminal = np.asarray(terminal, dtype=bool)
    value = np.zeros(len(next_state))
    for _ in range(max_sweeps):
        new = np.where(terminal, 0.0, (reward + discount * value[next_state]).max(axis=1))
        change = np.max(np.abs(new - value))
        value = new
        if change < tolerance:
            break
    return reward + discount * value[next_state], value


def object_q_values(tables: MazeTables, discount: float = 0.95) -> np.ndarray:
    """``(levels, objects, tiles, 4)`` optimal Q for "reach object o" (reward 1 on entering it, any object ends the
    episode): ``discount ** d`` where ``d`` is the maze distance from the tile a move lands on; 0 if blocked."""
    if not 0 < discount < 1:
        raise ValueError(f"discount must be between 0 and 1 (exclusive); got {discount}.")
    d = np.take_along_axis(tables.distance[:, :, :, None], tables.next_state[:, None, :, :].astype(np.int64), axis=2)
    q = np.where(d < UNREACHABLE, discount ** np.minimum(d, 10_000).astype(float), 0.0)
    return np.where(tables.object_tile[:, :, None, None] >= 0, q, 0.0)


class Planner:
    """Greedy on the optimal values for a set of target objects, per level: an agent that is given the map.

    ``targets`` is a boolean ``(levels, objects)`` mask (for example ``tables.object_kind == Kind.EXIT``).
    """

    def __init__(self, tables: MazeTables, targets: np.ndarray, discount: float = 0.95):
        targets = np.asarray(targets, dtype=bool)
        if targets.shape != tables.object_kind.shape:
            raise ValueError(f"targets must have shape {tables.object_kind.shape} (levels, objects); "
                             f"got {targets.shape}.")
        q = object_q_values(tables, discount)
        self.q = np.where(targets[:, :, None, None], q, 0.0).max(axis=1)  # (levels, tiles, 4)

    def act(self, agent_tile, objects, rng: np.random.Generator, epsilon: float = 0.0, level=None) -> np.ndarray:
        if level is None:
            raise ValueError("A Planner needs the level index of each episode: rollout passes it to act as `level=`; "
                             "an agent that wraps a planner must pass `level` on to the planner's act.")
        q = self.q[np.asarray(level), np.asarray(agent_tile)]
        best = q >= q.max(axis=1, keepdims=True) - 1e-12
        return (rng.random(q.shape) * best).argmax(axis=1)
