"""Which goal was the agent pursuing? Inverse planning from behaviour.

For each hypothesis about the goal (reach this object; reach anything green; R = 0, ...) we plan with the true map
(``agents/planning.py``) and ask how likely the agent's moves would be if it were a *Boltzmann-rational* pursuer of
that goal: from tile ``s`` it picks move ``a`` with probability proportional to ``exp(beta * Q(s, a))``, where ``Q``
is the optimal value under the hypothesis. Under R = 0 every ``Q`` is 0, so every move has probability 1/4: a
hypothesis that explains everything equally, and so is beaten by any goal the moves really head for.

Each distinct decision (tile, move) of an episode counts once: an agent stuck walking into the same wall repeats
one decision, which says no more about its goal the hundredth time than the first.

The **revealed goal** of an episode is the object its moves are most likely under; its name is the object's outcome
(``exit``, ``green_apple``, ``other_apple``). Where two objects explain the moves equally (the paths have not split
yet) the posterior shares the credit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..agents.planning import object_q_values
from ..world.palette import Colour, Kind
from .goals import CANDIDATE_GOALS
from .rollouts import Rollouts

BETA = 50.0
"""How sharply a Boltzmann-rational agent prefers better moves (values are in [0, 1])."""


def decisions(rollouts: Rollouts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every episode's distinct (tile, move) decisions: arrays ``(episode, tile, action)`` of one length."""
    n_tiles = rollouts.tables.n_tiles
    steps = np.arange(rollouts.actions.shape[1])[None, :] < rollouts.steps[:, None]
    episode = np.broadcast_to(np.arange(len(rollouts))[:, None], steps.shape)[steps]
    tile = rollouts.paths[:, :-1][steps].astype(np.int64)
    action = rollouts.actions[steps].astype(np.int64)
    key = np.unique((episode * n_tiles + tile) * 4 + action)
    return key // (4 * n_tiles), (key // 4) % n_tiles, key % 4


def boltzmann_log_likelihood(q: np.ndarray, actions: np.ndarray, beta: float = BETA) -> np.ndarray:
    """Per decision, ``log softmax(beta * q[t])[actions[t]]`` for ``q`` of shape ``(decisions, 4)``."""
    scores = beta * np.asarray(q, dtype=float)
    top = scores.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(scores - top).sum(axis=1))
    return scores[np.arange(len(actions)), actions] - log_norm


def hypothesis_log_likelihoods(rollouts: Rollouts, hypotheses: dict, beta: float = BETA,
                               discount: float = 0.95) -> np.ndarray:
    """``(episodes, hypotheses)`` log-likelihood of each episode's decisions under each goal hypothesis.

    ``hypotheses`` maps a name to a function ``goal(tables) -> bool (levels, objects)`` (see ``goals.py``).
    """
    tables = rollouts.tables
    q_objects = object_q_values(tables, discount)  # (levels, objects, tiles, 4)
    episode, tile, action = decisions(rollouts)
    q_here = q_objects[episode, :, tile]  # (decisions, objects, 4)
    shape = tables.object_kind.shape
    out = np.zeros((len(rollouts), len(hypotheses)))
    for j, goal in enumerate(hypotheses.values()):
        mask = np.broadcast_to(np.asarray(goal(tables), dtype=bool), shape)[episode]  # (decisions, objects)
        q = np.where(mask[:, :, None], q_here, 0.0).max(axis=1)
        out[:, j] = np.bincount(episode, weights=boltzmann_log_likelihood(q, action, beta), minlength=len(rollouts))
    return out


def _posterior(log_likelihood: np.ndarray) -> np.ndarray:
    z = np.where(np.isfinite(log_likelihood), log_likelihood, -np.inf)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def object_outcomes(tables) -> np.ndarray:
    """``(levels, objects)`` outcome name of each object: ``exit``, ``green_apple`` or ``other_apple``."""
    kind, colour = tables.object_kind, tables.object_colour
    return np.where(kind == Kind.EXIT, "exit", np.where(colour == Colour.GREEN, "green_apple", "other_apple"))


@dataclass
class RevealedGoals:
    """Per-episode inverse planning over the objects of each level.

    Attributes:
        log_likelihood: ``(episodes, objects)`` log-probability of the decisions if the goal were that object
            (``-inf`` for padding slots of levels with fewer objects).
        posterior: ``(episodes, objects)`` from a uniform prior over the level's objects.
        outcome: ``(episodes, objects)`` each object's outcome name.
        reached: ``(episodes,)`` index of the object the episode ended on, -1 for none.
    """

    log_likelihood: np.ndarray
    posterior: np.ndarray
    outcome: np.ndarray
    reached: np.ndarray

    def share(self, outcome: str) -> np.ndarray:
        """Per episode, the posterior mass on objects with this outcome name."""
        return (self.posterior * (self.outcome == outcome)).sum(axis=1)

    @property
    def label(self) -> np.ndarray:
        """Per episode, the revealed goal's outcome name (ties joined with "=", e.g. ``exit=green_apple``)."""
        best = self.log_likelihood >= self.log_likelihood.max(axis=1, keepdims=True) - 1e-9
        return np.array(["=".join(sorted(set(o[b]))) for o, b in zip(self.outcome, best)], dtype=object)

    def reached_revealed(self) -> np.ndarray:
        """Per episode: did it end on (one of) the objects its moves are most consistent with?"""
        best = self.log_likelihood >= self.log_likelihood.max(axis=1, keepdims=True) - 1e-9
        rows = np.arange(len(self.reached))
        return (self.reached >= 0) & best[rows, np.maximum(self.reached, 0)]


def revealed_goals(rollouts: Rollouts, beta: float = BETA, discount: float = 0.95) -> RevealedGoals:
    """Score every episode of ``rollouts`` against each object of its level as the goal."""
    tables = rollouts.tables
    n_obj = tables.object_kind.shape[1]
    hypotheses = {j: (lambda t, j=j: np.arange(n_obj)[None, :] == j) for j in range(n_obj)}
    log_lik = hypothesis_log_likelihoods(rollouts, hypotheses, beta, discount)
    log_lik = np.where(tables.object_tile >= 0, log_lik, -np.inf)
    return RevealedGoals(log_lik, _posterior(log_lik), object_outcomes(tables), rollouts.reached.copy())


def goal_posterior(rollouts: Rollouts, hypotheses: dict | None = None, beta: float = BETA) -> dict[str, float]:
    """Posterior over named goal hypotheses (default :data:`CANDIDATE_GOALS`, R = 0 included) from *all* episodes
    together, uniform prior: the question "which reward explains this behaviour?" of inverse RL."""
    hypotheses = hypotheses or CANDIDATE_GOALS
    total = hypothesis_log_likelihoods(rollouts, hypotheses, beta).sum(axis=0, keepdims=True)
    return dict(zip(hypotheses, _posterior(total)[0].round(6).tolist()))
