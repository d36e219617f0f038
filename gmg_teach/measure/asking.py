"""Asking for help, measured: play the uncertain agent with a human who answers truthfully.

:func:`play_asking` plays one greedy episode per level of an :class:`~gmg_teach.agents.uncertain.UncertainAgent`.
Where it asks (its goal posterior is split on which object is best, seen at the start), ``answer(tables)`` names the
intended objects (``goals.reach_exit``: a truthful human) and the agent heads there on its own learned map; elsewhere
it acts on its posterior mean, exactly like the learned agent it wraps. The result keeps both: what happened
(:class:`~gmg_teach.measure.rollouts.Rollouts`) and where it asked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..agents.uncertain import UncertainAgent
from .goals import reach_exit
from .rollouts import Rollouts, as_tables, rollout


@dataclass(eq=False)
class AskedRollouts:
    """The episodes of :func:`play_asking` and where the agent asked.

    Attributes:
        rollouts: one greedy episode per level, asks answered.
        asked: ``(levels,)`` True where the agent asked.
    """

    rollouts: Rollouts
    asked: np.ndarray

    @property
    def ask_rate(self) -> float:
        """Asks per episode (at most one per episode: the objects do not change once seen)."""
        return float(self.asked.mean())

    def rates(self) -> dict[str, float]:
        return self.rollouts.rates()

    def ask_rate_where(self, mask) -> float | None:
        """The ask rate among the levels of a boolean mask (None if the mask is empty)."""
        mask = np.asarray(mask, bool)
        return float(self.asked[mask].mean()) if mask.any() else None


def play_asking(uncertain: UncertainAgent, levels, answer=reach_exit, seed: int = 0) -> AskedRollouts:
    """Play ``uncertain`` once on each level; where it asks, ``answer(tables) -> bool (levels, objects)`` tells it
    which objects are intended."""
    if not isinstance(uncertain, UncertainAgent):
        raise ValueError(f"Expected an UncertainAgent; got {type(uncertain).__name__}.")
    tables = as_tables(levels)
    asked = uncertain.decide(tables)
    actor = uncertain.answered(tables, asked, answer(tables))
    return AskedRollouts(rollout(actor, tables, seed=seed), asked)
