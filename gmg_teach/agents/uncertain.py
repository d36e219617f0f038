"""Know what you don't know: an agent that acts on its *goal uncertainty* and asks when it matters.

The learned agent (``learner.py``) already holds a posterior over its goal weights (``GoalModel.posterior``: Bayesian
linear regression), but it acts on the posterior *mean* alone. This agent reads the whole posterior. At the start of
an episode it sees every object, and for each one it asks: under the goals I still find plausible, how likely is it
that this object is the best one here? ::

    P(o is best) = share of posterior samples w ~ N(mean, covariance) under which r_w(o) is the largest

(objects with the same kind and colour are worth the same under every sample, so they share "best"). If some
object is best with probability at least ``UncertainConfig.confidence``, the agent acts on its posterior mean, on
the learned agent's own map. If not, the posterior is *split* on what to do here, and the agent **asks**: a human
names the intended goal (here: the exit sign), and the agent walks there on its own learned map.

This is the idea of Inverse Reward Design (Hadfield-Menell et al. 2017): the reward the agent was trained on is
evidence about the intended goal *in the training levels*, and nothing more. The agent reads that evidence twice:
the rewards it got (the goal model's posterior) and the levels it got them in: in each training level the designer
paid the exit and not the apples beside it, so goals under which one of those apples beats that exit are
implausible (:func:`designer_log_likelihood` reweights the posterior samples). Without the second half the agent
is unsure about apples it almost never touched, and asks on training levels too. Where the levels are like the training
ones (an exit that is green, nothing else green) every plausible goal agrees, and the agent never asks; where they
are new (a green apple, an exit of another colour) the plausible goals disagree, and it asks.

What is built in and what is learned: the map and the posterior are learned (the same objects as the learned
agent's, not copies); the rule "ask when no object is best with probability >= confidence" and the honest answer
are given. The posterior's width is only as good as its prior: a strong prior on a salient feature makes a posterior
that is *confident and wrong* (``prior_precision`` large), and then the agent asks nothing and fails like the proxy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..world.observation import observe
from ..world.palette import Colour, Kind
from .goal_model import FEATURE_NAMES, N_FEATURES, GoalModel
from .learner import LearnedAgent


@dataclass(frozen=True)
class UncertainConfig:
    """How the uncertain agent reads its posterior."""

    confidence: float = 0.9
    """Ask unless some object is the best one with at least this posterior probability (in (0, 1]; 1 asks
    whenever any plausible goal disagrees, a small value almost never asks)."""
    designer_rationality: float = 10.0
    """Inverse Reward Design's evidence, in reward units (>= 0): how strongly the agent takes it that the reward it
    was trained on made the training behaviour right, i.e. that in each training level the intended goal preferred
    the object that paid. 0 ignores that evidence (the posterior of the rewards alone)."""
    samples: int = 2000
    """Posterior samples of the goal weights used to estimate each object's probability of being best."""
    seed: int = 0
    """Seed of the posterior samples (drawn once, so the same level always gets the same answer)."""

    def __post_init__(self):
        number = lambda v: not isinstance(v, bool) and isinstance(v, (int, float, np.floating, np.integer))  # noqa
        if not number(self.confidence) or not 0 < self.confidence <= 1:
            raise ValueError(f"UncertainConfig.confidence must be a probability in (0, 1], for example 0.9; "
                             f"got {self.confidence!r}.")
        if not number(self.designer_rationality) or not 0 <= self.designer_rationality < float("inf"):
            raise ValueError(f"UncertainConfig.designer_rationality must be a number >= 0 (0 ignores the training "
                             f"levels); got {self.designer_rationality!r}.")
        for name, low in (("samples", 10), ("seed", 0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                raise ValueError(f"UncertainConfig.{name} must be a whole number >= {low}; got {v!r}.")


def sample_weights(goal: GoalModel, samples: int, seed: int | np.random.Generator = 0) -> np.ndarray:
    """``(samples, 6)`` goal weights in reward units drawn from the goal model's posterior (per attribute, like
    ``GoalModel.weights``)."""
    if not isinstance(goal, GoalModel):
        raise ValueError(f"Expected a GoalModel (an agent's .goal); got {type(goal).__name__}.")
    mean, cov = goal.posterior()
    rng = np.random.default_rng(seed)
    root = np.linalg.cholesky(cov + 1e-12 * np.eye(N_FEATURES))
    coefficients = mean + rng.standard_normal((int(samples), N_FEATURES)) @ root.T
    return coefficients * goal.scale


def object_values(weights: np.ndarray, kind, colour, present=None) -> np.ndarray:
    """``(samples, ..., objects)`` each object's reward under each weight sample (``-inf`` for padding)."""
    kind, colour = np.asarray(kind, np.int64), np.asarray(colour, np.int64)
    value = weights[:, np.maximum(kind, 0)] + weights[:, len(Kind) + np.maximum(colour, 0)]
    return value if present is None else np.where(np.asarray(present, bool), value, -np.inf)


def best_probabilities(weights: np.ndarray, kind, colour, present=None, sample_weight=None) -> np.ndarray:
    """``(..., objects)`` the (weighted) share of weight samples under which each object is (one of) the best.

    ``weights`` is ``(samples, 6)`` (see :func:`sample_weights`); ``kind`` and ``colour`` are ``(..., objects)``;
    ``present`` marks real objects (padding gets probability 0); ``sample_weight`` ``(samples,)`` sums to 1 (default:
    equal). Objects tied for best (the same kind and colour) all count as best.
    """
    value = object_values(weights, kind, colour, present)
    best = value >= value.max(axis=-1, keepdims=True) - 1e-12
    if sample_weight is None:
        return best.mean(axis=0)
    # a weighted sum of shares can round to just above 1 (1 + 4e-16), which falls outside a histogram's [0, 1]
    return np.minimum(np.tensordot(np.asarray(sample_weight, float), best, axes=1), 1.0)


def level_objects(levels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(kind, colour, present)``, each ``(levels, objects)``, of levels as arrays (compiled levels or episode
    configurations from ``Distribution.sample``: anything with ``object_tile``, ``object_kind``, ``object_colour``)
    or a list of :class:`~gmg_teach.world.levels.Level` (padding: ``present`` False)."""
    if hasattr(levels, "object_kind"):
        return levels.object_kind, levels.object_colour, levels.object_tile >= 0
    if not isinstance(levels, (list, tuple)) or not levels or not all(hasattr(lv, "objects") for lv in levels):
        raise ValueError(f"Expected compiled levels or a non-empty list of Levels; got {type(levels).__name__}.")
    width = max(len(lv.objects) for lv in levels)
    kind, colour = np.zeros((len(levels), width), np.int64), np.zeros((len(levels), width), np.int64)
    present = np.zeros((len(levels), width), bool)
    for i, lv in enumerate(levels):
        for j, o in enumerate(lv.objects):
            kind[i, j], colour[i, j], present[i, j] = int(o.kind), int(o.colour), True
    return kind, colour, present


def choice_probabilities(weights: np.ndarray, kind, colour, present, rationality: float) -> np.ndarray:
    """``(samples, ..., objects)`` under each weight sample, the probability that a Boltzmann-rational chooser
    (``rationality`` per reward unit) names each object as the best: ``softmax(rationality * reward)``."""
    value = rationality * object_values(weights, kind, colour, present)
    value = value - value.max(axis=-1, keepdims=True)
    p = np.exp(value)
    return p / p.sum(axis=-1, keepdims=True)


def designer_log_likelihood(weights: np.ndarray, levels, rationality: float) -> np.ndarray:
    """``(samples, levels)`` Inverse Reward Design's evidence: under each weight sample, the log-probability that a
    Boltzmann-rational designer (``rationality`` per reward unit, :func:`choice_probabilities`) prefers, in each
    level, the object that pays (the exit sign) to the other objects there. ``levels``: see :func:`level_objects`.
    Samples under which an apple beats the exit it was seen with are implausible: the designer would have rewarded
    that apple. It is also the evidence of a truthful answer "the exit is best here". Levels with the same objects
    are computed once."""
    kind, colour, present = level_objects(levels)
    code = np.where(present, 1 + kind * len(Colour) + colour, 0)
    code = np.sort(code, axis=1)  # the order of objects does not matter
    unique, inverse = np.unique(code, axis=0, return_inverse=True)
    u_present = unique > 0
    u_kind, u_colour = np.maximum(unique - 1, 0) // len(Colour), np.maximum(unique - 1, 0) % len(Colour)
    p = choice_probabilities(weights, u_kind, u_colour, u_present, rationality)
    with np.errstate(divide="ignore"):
        per_unique = np.log((p * (u_present & (u_kind == Kind.EXIT))).sum(axis=-1))
    return per_unique[:, np.asarray(inverse).ravel()]


@dataclass(eq=False)
class UncertainAgent:
    """A learned agent that asks for the intended goal where its goal posterior is split.

    Attributes:
        agent: the learned agent whose map and goal posterior this one reads (not a copy).
        training_levels: levels like the ones it trained on (a list of Levels, compiled levels or episode
            configurations): which objects stood together there, and which one paid; Inverse Reward Design's
            evidence. None: the posterior alone.
        config: how it reads them (:class:`UncertainConfig`).
    """

    agent: LearnedAgent
    training_levels: object = None
    config: UncertainConfig = UncertainConfig()

    def __post_init__(self):
        if not isinstance(self.agent, LearnedAgent):
            raise ValueError(f"UncertainAgent needs a trained LearnedAgent (train_learner(...).agent); got "
                             f"{type(self.agent).__name__}.")
        if not isinstance(self.config, UncertainConfig):
            raise ValueError(f"config must be an UncertainConfig; got {type(self.config).__name__}.")
        if self.training_levels is not None:
            level_objects(self.training_levels)  # refuses anything else in words
        self.weights = sample_weights(self.agent.goal, self.config.samples, self.config.seed)
        log_w = np.zeros(len(self.weights))
        if self.training_levels is not None and self.config.designer_rationality > 0:
            log_w = designer_log_likelihood(self.weights, self.training_levels,
                                            self.config.designer_rationality).sum(axis=1)
        w = np.exp(log_w - log_w.max())
        self.sample_weight = w / w.sum()
        if self.training_levels is None or self.config.designer_rationality == 0:
            self.acting = self.agent  # the posterior mean: exactly the learned agent
        else:  # the mean of the reweighted posterior, on the same map
            mean = dict(zip(FEATURE_NAMES, (self.sample_weight @ self.weights).tolist()))
            self.acting = self.agent.with_goal(self.agent.goal.steer(**mean))

    @property
    def effective_samples(self) -> float:
        """How many equally weighted samples the weighted ones are worth (``1 / sum(w**2)``)."""
        return float(1.0 / np.sum(self.sample_weight ** 2))

    def best_probabilities(self, objects) -> np.ndarray:
        """``(batch, objects)`` P(object is best) from observed objects ``(batch, objects, 3)`` [tile, kind, colour]."""
        objects = np.asarray(objects)
        return best_probabilities(self.weights, objects[..., 1], objects[..., 2], objects[..., 0] >= 0,
                                  self.sample_weight)

    def wants_to_ask(self, objects) -> np.ndarray:
        """``(batch,)`` True where no object is best with probability >= ``confidence``."""
        return self.best_probabilities(objects).max(axis=-1) < self.config.confidence

    def decide(self, tables) -> np.ndarray:
        """``(levels,)`` whether the agent asks on each level, from what it sees at the start."""
        _, objects = observe(tables.start, tables.object_tile, tables.object_kind, tables.object_colour)
        return self.wants_to_ask(objects)

    def answered(self, tables, asked, intended) -> "AnsweredAgent":
        """An actor for compiled levels: on levels where ``asked`` (levels,), it heads for the ``intended`` objects
        (levels, objects) it was told about, on its own map; elsewhere it acts on its posterior mean."""
        asked, intended = np.asarray(asked, bool), np.asarray(intended, bool)
        if asked.shape != (tables.n_levels,) or intended.shape != tables.object_tile.shape:
            raise ValueError(f"asked must have shape ({tables.n_levels},) and intended {tables.object_tile.shape}; "
                             f"got {asked.shape} and {intended.shape}.")
        return AnsweredAgent(self.acting, tables.object_tile, asked, intended)


class AnsweredAgent:
    """The learned agent's map, with the answered goal on the levels where it asked (reward 1 on the intended
    objects, 0 elsewhere) and its own estimated rewards on the others."""

    def __init__(self, agent: LearnedAgent, object_tile, asked, intended):
        self.agent = agent
        self.tiles, self.asked, self.wanted = object_tile, asked, intended

    def act(self, agent_tile, objects, rng, epsilon=0.0, level=None):
        level = np.asarray(level)
        values = self.agent.object_values(agent_tile, objects)  # (batch, objects, 4): r_hat * map
        # the intended objects, in the observation's (tile) order
        seen_tile = objects[..., 0]
        intended = (self.tiles[level][:, None, :] == seen_tile[:, :, None]) & self.wanted[level][:, None, :]
        told = intended.any(axis=2).astype(float)
        told_values = told[..., None] * self.agent.navigation.action_values(agent_tile, seen_tile)
        values = np.where(self.asked[level][:, None, None], told_values, values)
        q = values.max(axis=1)
        best = q >= q.max(axis=1, keepdims=True) - 1e-12
        return (rng.random(q.shape) * best).argmax(axis=1)
