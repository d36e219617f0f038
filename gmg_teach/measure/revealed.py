"""Which goal was the agent pursuing? Inverse planning from behaviour.

For each candidate goal we ask how likely the agent's moves would be if it were a *Boltzmann-rational* pursuer of
that goal: at each step it picks among the open moves with probability proportional to
``exp(-beta * (maze distance to the goal after the move))``. The candidate with the highest likelihood is the
episode's **revealed goal**. Two candidates whose targets coincide (exit and green thing on a training level) give
the same likelihood: behaviour cannot separate them there, and the label says so (``"exit=green"``).

A simpler, more visual score is also given: the share of steps that shortened the maze distance to the goal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..world.tables import UNREACHABLE
from .goals import CANDIDATE_GOALS, goal_distance
from .rollouts import Rollouts

BETA = 2.0  # how sharply a rational agent prefers moves that get closer; the ranking is not sensitive to it


def progress_share(distance: np.ndarray, path: np.ndarray) -> float:
    """Share of steps along ``path`` that shortened the maze distance to the goal (NaN for a path with no step)."""
    if len(path) < 2:
        return float("nan")
    d = distance[path]
    return float(np.mean(d[1:] < d[:-1]))


@dataclass
class RevealedGoals:
    """Per-episode inverse-planning results.

    Attributes:
        goals: candidate names, in column order.
        log_likelihood: ``(episodes, goals)`` log-probability of the observed moves under each candidate.
        progress: ``(episodes, goals)`` share of steps that got closer to each candidate.
        reached_goal: ``(episodes, goals)`` whether the episode ended on one of the candidate's target tiles.
        label: per episode, the most likely candidate; ties joined with "=" (e.g. "exit=green").
    """

    goals: list[str]
    log_likelihood: np.ndarray
    progress: np.ndarray
    reached_goal: np.ndarray
    label: np.ndarray

    def posterior(self) -> np.ndarray:
        """Posterior over candidates per episode, from a uniform prior."""
        z = self.log_likelihood - self.log_likelihood.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def share(self, goal: str) -> float:
        """Share of episodes whose revealed goal is ``goal`` alone (ties not counted)."""
        return float(np.mean(self.label == goal))

    def reached_revealed(self) -> np.ndarray:
        """Per episode: did the agent reach (one of) its revealed goal's targets?"""
        best = self.log_likelihood == self.log_likelihood.max(axis=1, keepdims=True)
        return (best & self.reached_goal).any(axis=1)


def revealed_goals(rollouts: Rollouts, goals: dict | None = None, beta: float = BETA) -> RevealedGoals:
    """Score every episode of ``rollouts`` against every candidate goal (default :data:`CANDIDATE_GOALS`)."""
    goals = goals or CANDIDATE_GOALS
    tables = rollouts.tables
    n, names = len(rollouts), list(goals)
    log_lik = np.zeros((n, len(names)))
    progress = np.zeros((n, len(names)))
    reached = np.zeros((n, len(names)), dtype=bool)
    for i in range(n):
        path = rollouts.path(i)
        tiles, nxt = path[:-1], path[1:]
        options = tables.next_state[i, tiles]  # (steps, 4); a wall move "stays", which is never chosen here
        options = np.where(options == tiles[:, None], -1, options)
        for j, name in enumerate(names):
            targets = goals[name](tables, i)
            dist = np.append(goal_distance(tables, i, targets), UNREACHABLE)  # index -1: a closed move
            log_lik[i, j] = move_log_likelihood(dist, tiles, nxt, options, beta)
            progress[i, j] = progress_share(dist, path)
            reached[i, j] = bool(targets[path[-1]]) and rollouts.reached[i] >= 0
    best = log_lik >= log_lik.max(axis=1, keepdims=True) - 1e-9
    label = np.array(["=".join(np.array(names)[row]) for row in best], dtype=object)
    return RevealedGoals(names, log_lik, progress, reached, label)


def move_log_likelihood(distance, tiles, next_tiles, options, beta: float = BETA) -> float:
    """Log-probability of the moves ``tiles[t] -> next_tiles[t]`` for a Boltzmann-rational pursuer of a goal.

    ``distance`` is the maze distance to the goal per tile, with one extra last entry (index -1) for "no move";
    ``options[t]`` lists the four tiles reachable from ``tiles[t]``, -1 for a move blocked by a wall. A tile from
    which the goal cannot be reached (another object: the episode ends there) counts as being as far from the goal
    as the maze allows: its number of tiles.
    """
    if len(tiles) == 0:
        return 0.0
    farthest = len(distance) - 1  # the number of tiles in the level
    d_options = np.minimum(distance[options], farthest).astype(float)
    scores = np.where(options >= 0, -beta * d_options, -np.inf)
    chosen = -beta * np.minimum(distance[next_tiles], farthest).astype(float)
    top = scores.max(axis=1)
    log_norm = top + np.log(np.exp(scores - top[:, None]).sum(axis=1))
    return float((chosen - log_norm).sum())
