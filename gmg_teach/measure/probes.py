"""Test before you deploy: probe levels chosen to split the goal hypotheses, against probes drawn at random.

A **probe** is a level shown to a tester, who says which object is the intended one there (the exit sign): the same
truthful answer the uncertain agent gets when it asks (``agents/uncertain.py``), and the same evidence as a training
level (Inverse Reward Design's likelihood, :func:`~gmg_teach.agents.uncertain.designer_log_likelihood`). Under the
agent's posterior samples, an answer on a level where every plausible goal already agrees teaches nothing; an
answer where they are split (an exit that is not green beside a green apple) removes the goals that disagree.

* :func:`p_exit_best`: the posterior probability that the exit sign is the best object, averaged over levels
  (deploy levels: is the goal identified where it matters?).
* :func:`split_scores`: for each candidate level, the largest probability that one object is best there; low means
  the hypotheses disagree on that level (what a lesson draws).
* :func:`expected_doubt`: for each candidate level, how uncertain "is the exit best on deploy levels?" would still
  be after its answer, expected over the answers the posterior predicts. The lowest is the **most informative
  probe** (active learning: ask the question whose answer most settles what matters). It is a split level, but
  not every split level will do: one that splits a yellow apple from a blue one settles nothing about the exit.
* :func:`probes_to_identify`: answer probes one at a time, chosen (the most informative) or at random from the same
  pool, until ``p_exit_best >= target``; how many it took.

What it needs in advance: a pool of candidate levels that contains splitting ones, a posterior that holds the right
goal among its plausible ones, and someone to answer. A hypothesis the posterior never entertained is never split.
"""

from __future__ import annotations

import numpy as np

from ..agents.uncertain import (UncertainAgent, best_probabilities, choice_probabilities, designer_log_likelihood,
                               object_values)
from ..world.palette import Kind
from ..world.distributions import Episodes
from ..world.tables import MazeTables

Levels = MazeTables | Episodes
"""Levels as arrays: compiled (``compile_levels``) or episode configurations (``Distribution.sample``)."""

TARGET = 0.95
"""The posterior probability that the exit is best (on deploy levels) at which the goal counts as identified."""
ANSWER_RATIONALITY = 100.0
"""A truthful answer "the exit is best here", as Boltzmann rationality per reward unit: nearly a hard constraint
(every goal under which another object beats the exit on that level becomes implausible)."""


def _check(uncertain, *tables) -> None:
    if not isinstance(uncertain, UncertainAgent):
        raise ValueError(f"Expected an UncertainAgent; got {type(uncertain).__name__}.")
    for t in tables:
        if not all(hasattr(t, a) for a in ("object_tile", "object_kind", "object_colour")):
            raise ValueError("Expected levels as arrays: compiled levels (compile_levels(...)) or episode "
                             f"configurations (Distribution.sample(...)); got {type(t).__name__}.")


def _best(weights, tables) -> np.ndarray:
    """``(samples, levels, objects)`` whether each object is (one of) the best under each sample."""
    value = object_values(weights, tables.object_kind, tables.object_colour, tables.object_tile >= 0)
    return value >= value.max(axis=-1, keepdims=True) - 1e-12


def _answer_probabilities(uncertain, pool, rationality: float = ANSWER_RATIONALITY) -> np.ndarray:
    """``(samples, levels, objects)`` the probability of each answer "this object is best" under each sample."""
    return choice_probabilities(uncertain.weights, pool.object_kind, pool.object_colour, pool.object_tile >= 0,
                                rationality)


def _exit_best(weights, tables) -> np.ndarray:
    """``(samples,)`` the share of levels where the exit is (one of) the best, under each sample."""
    is_exit = (tables.object_tile >= 0) & (tables.object_kind == Kind.EXIT)
    return (_best(weights, tables) & is_exit).any(axis=-1).mean(axis=-1)


def p_exit_best(uncertain: UncertainAgent, tables: Levels, sample_weight=None) -> float:
    """Mean over levels of the posterior probability (the agent's weighted samples, or ``sample_weight``) that the
    exit sign is (one of) the best objects."""
    _check(uncertain, tables)
    w = uncertain.sample_weight if sample_weight is None else np.asarray(sample_weight, float)
    return float(w @ _exit_best(uncertain.weights, tables))


def split_scores(uncertain: UncertainAgent, pool: Levels, sample_weight=None) -> np.ndarray:
    """``(levels,)`` the largest posterior probability that one object of each pool level is best (lower: the
    hypotheses are more split there)."""
    _check(uncertain, pool)
    w = uncertain.sample_weight if sample_weight is None else np.asarray(sample_weight, float)
    return best_probabilities(uncertain.weights, pool.object_kind, pool.object_colour, pool.object_tile >= 0,
                              w).max(axis=-1)


def expected_doubt(uncertain: UncertainAgent, pool: Levels, deploy: Levels, sample_weight=None,
                   likelihoods=None, exit_best=None) -> np.ndarray:
    """``(levels,)`` for each pool level: the posterior variance of "the share of deploy levels where the exit is
    best" *after* its answer, expected over the answers the posterior predicts. The most informative probe is the
    level with the lowest (active learning: the question whose answer most settles what matters)."""
    _check(uncertain, pool, deploy)
    w = uncertain.sample_weight if sample_weight is None else np.asarray(sample_weight, float)
    lik = _answer_probabilities(uncertain, pool) if likelihoods is None else likelihoods
    e = _exit_best(uncertain.weights, deploy) if exit_best is None else exit_best
    wl = w[:, None, None] * lik  # (samples, levels, objects)
    z = wl.sum(axis=0)  # predictive probability of each answer
    mean = np.einsum("s,slo->lo", e, wl) / np.maximum(z, 1e-300)
    second = np.einsum("s,slo->lo", e * e, wl) / np.maximum(z, 1e-300)
    return (z * (second - mean ** 2)).sum(axis=-1)


def probe_evidence(uncertain: UncertainAgent, pool: Levels, deploy: Levels,
                   answer_rationality: float = ANSWER_RATIONALITY) -> dict:
    """What every probe run on this agent, pool and deploy levels shares (compute once, pass to
    :func:`probes_to_identify` as ``evidence``): each answer's probability under each sample, and under each sample
    the share of deploy levels where the exit is best."""
    _check(uncertain, pool, deploy)
    likelihoods = _answer_probabilities(uncertain, pool, answer_rationality)
    is_exit = (pool.object_tile >= 0) & (pool.object_kind == Kind.EXIT)
    with np.errstate(divide="ignore"):
        answers = np.log((likelihoods * is_exit).sum(axis=-1))  # (samples, levels): the truthful answer's evidence
    return {"likelihoods": likelihoods, "answers": answers, "exit_best": _exit_best(uncertain.weights, deploy)}


def probes_to_identify(uncertain: UncertainAgent, pool: Levels, deploy: Levels, chosen: bool,
                       seed: int | np.random.Generator = 0, target: float = TARGET, max_probes: int = 200,
                       evidence: dict | None = None) -> dict:
    """Answer probe levels from ``pool`` (never the same twice) until ``p_exit_best(deploy) >= target``.

    ``chosen``: the most informative level each time (:func:`expected_doubt`; ties to the first); otherwise one at
    random (``seed``). The agent is not changed. Returns ``{"probes": n, or None if not identified within max_probes,
    "p_exit_best": [before any probe, after 1, ...], "levels": [pool index of each probe]}``.
    """
    _check(uncertain, pool, deploy)
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 < target < 1:
        raise ValueError(f"target must be a probability between 0 and 1, for example 0.95; got {target!r}.")
    rng = np.random.default_rng(seed)
    evidence = evidence or probe_evidence(uncertain, pool, deploy)
    likelihoods, answers, exit_best = evidence["likelihoods"], evidence["answers"], evidence["exit_best"]
    log_w = np.log(np.maximum(uncertain.sample_weight, 1e-300))
    left = np.ones(len(pool.object_tile), bool)
    sw = uncertain.sample_weight
    history, levels = [float(sw @ exit_best)], []
    while history[-1] < target and len(levels) < min(max_probes, len(pool.object_tile)):
        if chosen:
            doubt = expected_doubt(uncertain, pool, deploy, sw, likelihoods, exit_best)
            level = int(np.argmin(np.where(left, doubt, np.inf)))
        else:
            level = int(rng.choice(np.flatnonzero(left)))
        left[level] = False
        levels.append(level)
        log_w = log_w + answers[:, level]
        sw = np.exp(log_w - log_w.max())
        sw /= sw.sum()
        history.append(float(sw @ exit_best))
    return {"probes": len(levels) if history[-1] >= target else None, "p_exit_best": history, "levels": levels,
            "effective_samples": float(1.0 / np.sum(sw ** 2))}


def p_exit_best_after(uncertain: UncertainAgent, answered, deploy: Levels,
                      answer_rationality: float = ANSWER_RATIONALITY) -> float:
    """The posterior P(the exit is best), averaged over ``deploy`` levels, after a tester answered "the exit" on
    each of the ``answered`` levels (a list of Levels or levels as arrays)."""
    _check(uncertain, deploy)
    log_w = np.log(np.maximum(uncertain.sample_weight, 1e-300))
    log_w = log_w + designer_log_likelihood(uncertain.weights, answered, answer_rationality).sum(axis=1)
    w = np.exp(log_w - log_w.max())
    return float((w / w.sum()) @ _exit_best(uncertain.weights, deploy))
