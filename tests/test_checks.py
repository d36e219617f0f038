"""Every graded check of the three assignments: the reference passes; the untouched stub, each planted bug and an
object with a lying ``__eq__`` fail; where the exercise takes a seed or a generator, ignoring it fails.

The checks live in the solution notebooks' test cells (visible part + hidden tests). Each test here runs, in this
process and without a kernel, the assignment's setup cell, then the answer (the solution's, the exercise's stub, or
a planted bug bound to the answer's name), then the whole test cell, in the exercises folder (the visible checks
read their expected values from ``exercises/<assignment>.expected.json``). The planted bugs are the mistakes
students make: forgetting the arrival reward, ignoring the generator, a softmax that overflows, thresholds
restated instead of the shared ``classify``, a potential left on the exit, ... Two kinds: functions in the
EXERCISES table below, and text edits of the solution's answer cell in ``solutions/<assignment>.bugs.py`` (each
with, optionally, the advice its failure must give: the hint a student needs, not only "expected X, got Y").
"""

from __future__ import annotations

import os
import re
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
import numpy as np
import pytest

from gmg_teach.grading.build import grade_id, is_grade
from gmg_teach.grading.feedback import CheckFailed

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, EXERCISES_DIR = ROOT / "solutions", ROOT / "exercises"


class Liar:
    """Says yes to every comparison and pretends to be any number or array."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __bool__(self):
        return True

    def __float__(self):
        return 1.0

    def __int__(self):
        return 0

    def __index__(self):
        return 0

    def __len__(self):
        return 0

    __hash__ = object.__hash__


class LyingStr(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


def liar(*args, **kwargs):
    return Liar()


# --- Assignment 1 · the maze ---------------------------------------------------------------------------------------
def update_no_arrival(q, s, a, s2, lr, discount):  # forgets that arriving at g is worth 1
    q = np.array(q, dtype=float)
    q[s, a] += lr * (discount * q[s2].max(axis=0) - q[s, a])
    return q


def update_bootstraps_from_here(q, s, a, s2, lr, discount):  # best value of the tile it left, not where it landed
    q = np.array(q, dtype=float)
    target = discount * q[s].max(axis=0)
    target[s2] = 1.0
    q[s, a] += lr * (target - q[s, a])
    return q


def update_max_over_everything(q, s, a, s2, lr, discount):  # one max over moves and goals together
    q = np.array(q, dtype=float)
    target = np.full(q.shape[2], discount * q[s2].max())
    target[s2] = 1.0
    q[s, a] += lr * (target - q[s, a])
    return q


def update_ignores_learning_rate(q, s, a, s2, lr, discount):
    q = np.array(q, dtype=float)
    target = discount * q[s2].max(axis=0)
    target[s2] = 1.0
    q[s, a] = target
    return q


def update_only_the_landing_goal(q, s, a, s2, lr, discount):  # classic one-goal update, goal = where it landed
    q = np.array(q, dtype=float)
    q[s, a, s2] += lr * (1.0 - q[s, a, s2])
    return q


def update_in_place_no_return(q, s, a, s2, lr, discount):
    target = discount * q[s2].max(axis=0)
    target[s2] = 1.0
    q[s, a] += lr * (target - q[s, a])


def _gpi(move_values, rewards):
    return (np.asarray(rewards, float)[:, None] * np.asarray(move_values, float)).max(axis=0)


def choose_argmax(move_values, rewards, rng):  # no tie-breaking: always the first best move
    return int(np.argmax(_gpi(move_values, rewards)))


def choose_ignores_rng(move_values, rewards, rng):  # a fresh generator each call: the seed does nothing
    value = _gpi(move_values, rewards)
    return int(np.random.default_rng().choice(np.flatnonzero(value >= value.max() - 1e-12)))


def choose_global_random(move_values, rewards, rng):
    value = _gpi(move_values, rewards)
    return int(np.random.choice(np.flatnonzero(value >= value.max() - 1e-12)))


def choose_fixed_seed(move_values, rewards, rng):  # ignores the generator it is given, uses seed 0
    value = _gpi(move_values, rewards)
    return int(np.random.default_rng(0).choice(np.flatnonzero(value >= value.max() - 1e-12)))


def choose_sums_objects(move_values, rewards, rng):
    value = (np.asarray(rewards, float)[:, None] * np.asarray(move_values, float)).sum(axis=0)
    return int(rng.choice(np.flatnonzero(value >= value.max() - 1e-12)))


def choose_most_valuable_object(move_values, rewards, rng):  # heads for the best object however far it is
    values = np.asarray(move_values, float)[int(np.argmax(rewards))]
    return int(rng.choice(np.flatnonzero(values >= values.max() - 1e-12)))


def choose_ignores_rewards(move_values, rewards, rng):  # nearest object, whatever it is worth
    value = np.asarray(move_values, float).max(axis=0)
    return int(rng.choice(np.flatnonzero(value >= value.max() - 1e-12)))


def fit_without_prior(features, rewards, prior_precision):  # minimum-norm least squares
    return np.linalg.pinv(np.asarray(features, float)) @ np.asarray(rewards, float)


def fit_prior_as_variance(features, rewards, prior_precision):
    X, y = np.asarray(features, float), np.asarray(rewards, float)
    return np.linalg.solve(X.T @ X + np.eye(X.shape[1]) / prior_precision, X.T @ y)


def fit_prior_everywhere(features, rewards, prior_precision):  # adds the precision to every entry, not the diagonal
    X, y = np.asarray(features, float), np.asarray(rewards, float)
    return np.linalg.solve(X.T @ X + prior_precision * np.ones((X.shape[1],) * 2) + 1e-3 * np.eye(X.shape[1]),
                           X.T @ y)


def fit_crashes(features, rewards, prior_precision):  # X X^T instead of X^T X: shapes do not match
    X, y = np.asarray(features, float), np.asarray(rewards, float)
    return np.linalg.solve(X @ X.T + prior_precision * np.eye(X.shape[1]), X.T @ y)


# --- Assignment 2 · capabilities vs goals --------------------------------------------------------------------------
def _pairs(tiles, actions):
    return np.unique(np.stack([np.asarray(tiles, int), np.asarray(actions, int)], axis=1), axis=0)


def loglik_counts_repeats(q, tiles, actions, beta):
    scores = beta * np.asarray(q, float)[np.asarray(tiles, int)]
    return float((scores[np.arange(len(scores)), np.asarray(actions, int)] - np.logaddexp.reduce(scores, axis=1)).sum())


def loglik_naive_softmax(q, tiles, actions, beta):  # exp overflows for a large beta
    pairs = _pairs(tiles, actions)
    e = np.exp(beta * np.asarray(q, float)[pairs[:, 0]])
    return float(np.log(e[np.arange(len(pairs)), pairs[:, 1]] / e.sum(axis=1)).sum())


def loglik_unnormalised(q, tiles, actions, beta):  # forgets the log of the sum over moves
    pairs = _pairs(tiles, actions)
    return float((beta * np.asarray(q, float)[pairs[:, 0], pairs[:, 1]]).sum())


def loglik_mean(q, tiles, actions, beta):
    pairs = _pairs(tiles, actions)
    scores = beta * np.asarray(q, float)[pairs[:, 0]]
    return float((scores[np.arange(len(pairs)), pairs[:, 1]] - np.logaddexp.reduce(scores, axis=1)).mean())


def loglik_ignores_beta(q, tiles, actions, beta):
    pairs = _pairs(tiles, actions)
    scores = np.asarray(q, float)[pairs[:, 0]]
    return float((scores[np.arange(len(pairs)), pairs[:, 1]] - np.logaddexp.reduce(scores, axis=1)).sum())


OUTCOMES = ("exit", "green_apple", "other_apple")


def _measurements(reached_revealed, path_efficiency, revealed_share, determined):
    at_goal, shown = np.asarray(reached_revealed, bool), np.asarray(determined, bool)
    eff = np.asarray(path_efficiency, float)[at_goal]
    shares = ({o: float(np.mean(np.asarray(revealed_share[o], float)[shown])) for o in OUTCOMES}
              if shown.any() else None)
    return float(at_goal.mean()), float(np.median(eff)) if eff.size else None, shares


def cell_restates_thresholds(reached_revealed, path_efficiency, revealed_share, determined):
    from gmg_teach.measure.generalization import CELL_NAMES, GOAL_UNDETERMINED
    success, median, shares = _measurements(reached_revealed, path_efficiency, revealed_share, determined)
    if shares is None:
        return GOAL_UNDETERMINED
    capable = median is not None and success >= 0.8 and median <= 1.5
    goal = all(shares["exit"] > v for k, v in shares.items() if k != "exit")
    return CELL_NAMES[(capable, goal)]


def cell_mean_efficiency(reached_revealed, path_efficiency, revealed_share, determined):
    from gmg_teach.measure.generalization import classify
    success, _, shares = _measurements(reached_revealed, path_efficiency, revealed_share, determined)
    eff = np.asarray(path_efficiency, float)[np.asarray(reached_revealed, bool)]
    return classify(success, float(eff.mean()) if eff.size else None, shares)


def cell_votes(reached_revealed, path_efficiency, revealed_share, determined):  # each episode's favourite, not the mean
    from gmg_teach.measure.generalization import OUTCOME_NAMES, classify
    success, median, _ = _measurements(reached_revealed, path_efficiency, revealed_share, determined)
    shown = np.asarray(determined, bool)
    favourite = np.argmax(np.stack([revealed_share[o] for o in OUTCOME_NAMES], axis=1), axis=1)[shown]
    return classify(success, median, {o: float(np.mean(favourite == i)) for i, o in enumerate(OUTCOME_NAMES)}
                    if shown.any() else None)


def cell_nan_for_nothing(reached_revealed, path_efficiency, revealed_share, determined):  # NaN where None is meant
    from gmg_teach.measure.generalization import classify
    success, median, shares = _measurements(reached_revealed, path_efficiency, revealed_share, determined)
    return classify(success, float("nan") if median is None else median, shares)


def cell_success_anything(reached_revealed, path_efficiency, revealed_share, determined):  # any object, not its goal
    from gmg_teach.measure.generalization import classify
    _, median, shares = _measurements(reached_revealed, path_efficiency, revealed_share, determined)
    return classify(float(np.isfinite(np.asarray(path_efficiency, float)).mean()), median, shares)


def cell_every_episode_votes(reached_revealed, path_efficiency, revealed_share, determined):  # undetermined included
    from gmg_teach.measure.generalization import classify
    success, median, _ = _measurements(reached_revealed, path_efficiency, revealed_share, determined)
    return classify(success, median, {o: float(np.mean(revealed_share[o])) for o in OUTCOMES})


def cell_old_signature(reached_revealed, path_efficiency, revealed_share):  # the definition before "undetermined"
    return cell_every_episode_votes(reached_revealed, path_efficiency, revealed_share, None)


class _Shaky:
    def __init__(self, agent, epsilon, draw=None, turns=(1, 3)):
        self.agent, self.epsilon, self.draw, self.turns = agent, epsilon, draw, turns

    def act(self, agent_tile, objects, rng, epsilon=0.0, level=None):
        rng = self.draw or rng
        moves = np.asarray(self.agent.act(agent_tile, objects, rng, level=level))
        turn = np.where(rng.random(len(moves)) < 0.5, *self.turns)
        return np.where(rng.random(len(moves)) < self.epsilon, (moves + turn) % 4, moves)


class _OwnExploration:  # the agent's own epsilon-greedy: a uniformly random move, not a slip of the chosen one
    def __init__(self, agent, epsilon):
        self.agent, self.epsilon = agent, epsilon

    def act(self, agent_tile, objects, rng, epsilon=0.0, level=None):
        return self.agent.act(agent_tile, objects, rng, self.epsilon, level=level)


def noisy_own_exploration(agent, tables, epsilon, seed):
    from gmg_teach import rollout
    return _results(rollout(_OwnExploration(agent, epsilon), tables, seed=seed))


def noisy_half_turn(agent, tables, epsilon, seed):  # turns back instead of sideways
    from gmg_teach import rollout
    return _results(rollout(_Shaky(agent, epsilon, turns=(2, 2)), tables, seed=seed))


def noisy_always_right(agent, tables, epsilon, seed):  # slips a quarter to the right only
    from gmg_teach import rollout
    return _results(rollout(_Shaky(agent, epsilon, turns=(1, 1)), tables, seed=seed))


def _results(played):
    return {**played.rates(), "mean_steps": float(played.steps.mean())}


def noisy_fixed_seed(agent, tables, epsilon, seed):
    from gmg_teach import rollout
    return _results(rollout(_Shaky(agent, epsilon), tables, seed=0))


def noisy_fresh_generator(agent, tables, epsilon, seed):
    from gmg_teach import rollout
    return _results(rollout(_Shaky(agent, epsilon, np.random.default_rng()), tables, seed=seed))


def noisy_inverted_epsilon(agent, tables, epsilon, seed):
    from gmg_teach import rollout
    return _results(rollout(_Shaky(agent, 1 - epsilon), tables, seed=seed))


def noisy_no_noise(agent, tables, epsilon, seed):
    from gmg_teach import rollout
    return _results(rollout(agent, tables, seed=seed))


def noisy_rates_only(agent, tables, epsilon, seed):
    from gmg_teach import rollout
    return rollout(_Shaky(agent, epsilon), tables, seed=seed).rates()


# --- Assignment 3 · unidentifiability ------------------------------------------------------------------------------
def _normalised(names, score):
    weight = np.exp(np.asarray(score, float) - np.max(score))
    return dict(zip(names, (weight / weight.sum()).tolist()))


def posterior_ignores_prior(log_likelihoods, prior):
    names = list(log_likelihoods)
    return _normalised(names, [np.sum(log_likelihoods[n]) for n in names])


def posterior_naive_exp(log_likelihoods, prior):  # underflows to 0/0 for long episodes
    names = list(log_likelihoods)
    weight = np.array([np.exp(np.sum(log_likelihoods[n])) * prior[n] for n in names])
    return dict(zip(names, (weight / weight.sum()).tolist()))


def posterior_mean_over_episodes(log_likelihoods, prior):
    names = list(log_likelihoods)
    with np.errstate(divide="ignore"):
        return _normalised(names, [np.mean(log_likelihoods[n]) + np.log(prior[n]) for n in names])


def posterior_prior_not_logged(log_likelihoods, prior):
    names = list(log_likelihoods)
    return _normalised(names, [np.sum(log_likelihoods[n]) + prior[n] for n in names])


def posterior_unnormalised(log_likelihoods, prior):
    names = list(log_likelihoods)
    with np.errstate(divide="ignore"):
        score = np.array([np.sum(log_likelihoods[n]) + np.log(prior[n]) for n in names])
    return dict(zip(names, np.exp(score - score.max()).tolist()))


def posterior_first_episode_only(log_likelihoods, prior):
    names = list(log_likelihoods)
    with np.errstate(divide="ignore"):
        return _normalised(names, [np.asarray(log_likelihoods[n], float)[0] + np.log(prior[n]) for n in names])


def shaped_keeps_terminal_potential(next_state, reward, potential, terminal, discount):
    phi = np.asarray(potential, float)
    return np.asarray(reward, float) + discount * phi[next_state] - phi[:, None]


def shaped_sign_flipped(next_state, reward, potential, terminal, discount):
    phi = np.where(terminal, 0.0, np.asarray(potential, float))
    return np.asarray(reward, float) + phi[:, None] - discount * phi[next_state]


def shaped_no_discount(next_state, reward, potential, terminal, discount):
    phi = np.where(terminal, 0.0, np.asarray(potential, float))
    return np.asarray(reward, float) + phi[next_state] - phi[:, None]


def shaped_zeroes_only_the_next_tile(next_state, reward, potential, terminal, discount):
    phi = np.asarray(potential, float)
    return np.asarray(reward, float) + discount * np.where(terminal, 0.0, phi)[next_state] - phi[:, None]


def _best_sets(next_state, reward, terminal, discount, tolerance=1e-6):
    from gmg_teach.agents.planning import solve_transitions
    q, _ = solve_transitions(next_state, reward, terminal, discount)
    return q, q >= q.max(axis=1, keepdims=True) - tolerance


def policy_compares_values(next_state, reward_a, reward_b, terminal, discount):
    q_a, _ = _best_sets(next_state, reward_a, terminal, discount)
    q_b, _ = _best_sets(next_state, reward_b, terminal, discount)
    return bool(np.allclose(q_a, q_b))


def policy_copy_paste(next_state, reward_a, reward_b, terminal, discount):  # plans reward_a twice
    _, a = _best_sets(next_state, reward_a, terminal, discount)
    _, b = _best_sets(next_state, reward_a, terminal, discount)
    return bool(np.array_equal(a, b))


def policy_compares_rewards(next_state, reward_a, reward_b, terminal, discount):  # no planning at all
    best_a = reward_a >= reward_a.max(axis=1, keepdims=True) - 1e-6
    best_b = reward_b >= reward_b.max(axis=1, keepdims=True) - 1e-6
    return bool(np.array_equal(best_a[~terminal], best_b[~terminal]))


def policy_compares_values_v(next_state, reward_a, reward_b, terminal, discount):  # V instead of best moves
    from gmg_teach.agents.planning import solve_transitions
    return bool(np.allclose(solve_transitions(next_state, reward_a, terminal, discount)[1],
                            solve_transitions(next_state, reward_b, terminal, discount)[1]))


def level_exit_is_green():  # a training level: the agents agree
    return """
        #########
        #G..A..o#
        #########
    """


def level_green_apple_nearer():  # distinguishes proxy from control, but the nearest-object agent agrees with the proxy
    return """
        ##########
        #O....A.g#
        ##########
    """


def level_corridor():  # passed the old check: exit one way, green apple the other; "any apple" fits as well as green
    return """
        ###########
        #O.A.....g#
        ###########
    """


def level_fork_apples_tied():  # a fork, but the other apple is as far as the green one: green and "any apple" tie
    return """
        ###########
        #B.......b#
        #####.#####
        #####A#####
        #####.#####
        #g........#
        ###########
    """


def level_no_exit():
    return """
        #######
        #g.A.o#
        #######
    """


def level_unreachable():
    return """
        #########
        #O#.A..g#
        #########
    """


def level_not_a_string():
    return ["#O.A.g#"]


# --- Assignment 4 · the gallery --------------------------------------------------------------------------------------
def split_equal(salience, rows, reward, prior_precision):  # the tie split in equal parts
    s = np.asarray(salience, float)
    return np.full(len(s), rows * reward / len(s))


def split_least_squares(salience, rows, reward, prior_precision):  # no prior: the whole reward, shared by s^2
    s = np.asarray(salience, float)
    return reward * s ** 2 / np.sum(s ** 2)


def split_coefficients(salience, rows, reward, prior_precision):  # the coefficients, not the weights (no times s)
    s = np.asarray(salience, float)
    return rows * reward * s / (rows * np.sum(s ** 2) + prior_precision)


def split_by_salience(salience, rows, reward, prior_precision):  # shares proportional to salience, not its square
    s = np.asarray(salience, float)
    return rows * reward * np.sum(s ** 2) / (rows * np.sum(s ** 2) + prior_precision) * s / s.sum()


def split_one_row(salience, rows, reward, prior_precision):  # forgets that there are `rows` tiles of data
    s = np.asarray(salience, float)
    return reward * s ** 2 / (np.sum(s ** 2) + prior_precision)


def apart_off_corner_only(distance, start, cheese_tile, corner_tile):  # the cheese may lie on the way
    return np.asarray(cheese_tile) != corner_tile


def apart_inverted(distance, start, cheese_tile, corner_tile):
    d, s, c = np.asarray(distance), np.asarray(start), np.asarray(cheese_tile)
    return d[s, c] + d[c, corner_tile] == d[s, corner_tile]


def apart_farther_than_corner(distance, start, cheese_tile, corner_tile):  # cheese farther from the start than corner
    d, s, c = np.asarray(distance), np.asarray(start), np.asarray(cheese_tile)
    return d[s, c] > d[s, corner_tile]


def k_the_control():
    return 11


def k_one():
    return 1


def k_three():  # fixes it, but k = 2 already does
    return 3


def k_as_text():
    return "2"


def k_as_float():
    return 2.0


# --- Assignment 5 · what helps -------------------------------------------------------------------------------------
def _values(w, kinds, colours):
    w = np.asarray(w, float)
    return w[:, np.asarray(kinds)] + w[:, 2 + np.asarray(colours)]


def best_argmax_only(mean, cov, kinds, colours, samples, seed):  # ties go to the first object only
    value = _values(np.random.default_rng(seed).multivariate_normal(mean, cov, size=samples), kinds, colours)
    return np.bincount(value.argmax(axis=1), minlength=len(kinds)) / samples


def best_ties_shared(mean, cov, kinds, colours, samples, seed):  # a tie splits the credit instead of all being best
    value = _values(np.random.default_rng(seed).multivariate_normal(mean, cov, size=samples), kinds, colours)
    best = value >= value.max(axis=1, keepdims=True) - 1e-12
    return (best / best.sum(axis=1, keepdims=True)).mean(axis=0)


def best_counts(mean, cov, kinds, colours, samples, seed):  # counts, not shares
    value = _values(np.random.default_rng(seed).multivariate_normal(mean, cov, size=samples), kinds, colours)
    return (value >= value.max(axis=1, keepdims=True) - 1e-12).sum(axis=0)


def best_kind_only(mean, cov, kinds, colours, samples, seed):  # forgets the colour weights
    w = np.random.default_rng(seed).multivariate_normal(mean, cov, size=samples)
    value = w[:, np.asarray(kinds)]
    return (value >= value.max(axis=1, keepdims=True) - 1e-12).mean(axis=0)


def best_seed_zero(mean, cov, kinds, colours, samples, seed):  # ignores the seed it is given
    value = _values(np.random.default_rng(0).multivariate_normal(mean, cov, size=samples), kinds, colours)
    return (value >= value.max(axis=1, keepdims=True) - 1e-12).mean(axis=0)


def best_fresh_generator(mean, cov, kinds, colours, samples, seed):
    value = _values(np.random.default_rng().multivariate_normal(mean, cov, size=samples), kinds, colours)
    return (value >= value.max(axis=1, keepdims=True) - 1e-12).mean(axis=0)


def best_posterior_mean_only(mean, cov, kinds, colours, samples, seed):  # no sampling: the point estimate decides
    value = _values(np.asarray(mean, float)[None], kinds, colours)
    return (value >= value.max(axis=1, keepdims=True) - 1e-12).mean(axis=0).astype(float)


def _p_best(w, kinds, colours):
    value = _values(w, kinds, colours)
    return (value >= value.max(axis=1, keepdims=True) - 1e-12).mean(axis=0), value


def ask_at_or_below(weight_samples, kinds, colours, confidence):  # asks when exactly at the confidence
    p, value = _p_best(weight_samples, kinds, colours)
    return -1 if p.max() <= confidence else int(np.argmax(value.mean(axis=0)))


def ask_ties_shared(weight_samples, kinds, colours, confidence):  # identical apples split the credit: it asks
    value = _values(weight_samples, kinds, colours)
    best = value >= value.max(axis=1, keepdims=True) - 1e-12
    p = (best / best.sum(axis=1, keepdims=True)).mean(axis=0)
    return -1 if p.max() < confidence else int(np.argmax(value.mean(axis=0)))


def ask_inverted(weight_samples, kinds, colours, confidence):
    p, value = _p_best(weight_samples, kinds, colours)
    return -1 if p.max() >= confidence else int(np.argmax(value.mean(axis=0)))


def ask_never(weight_samples, kinds, colours, confidence):  # the learned agent: always acts on the mean
    return int(np.argmax(_values(weight_samples, kinds, colours).mean(axis=0)))


def ask_most_often_best(weight_samples, kinds, colours, confidence):  # acts on argmax P(best), not the mean
    p, _ = _p_best(weight_samples, kinds, colours)
    return -1 if p.max() < confidence else int(np.argmax(p))


def ask_first_sample(weight_samples, kinds, colours, confidence):  # acts on one posterior sample, not the mean
    p, value = _p_best(weight_samples, kinds, colours)
    return -1 if p.max() < confidence else int(np.argmax(value[0]))


def ask_returns_bool(weight_samples, kinds, colours, confidence):
    p, _ = _p_best(weight_samples, kinds, colours)
    return bool(p.max() < confidence)


def ask_min_not_max(weight_samples, kinds, colours, confidence):
    p, value = _p_best(weight_samples, kinds, colours)
    return -1 if p.min() < confidence else int(np.argmax(value.mean(axis=0)))


def probe_training_level():  # every plausible goal agrees: the answer teaches nothing
    return """
        #########
        #G..A..b#
        #########
    """


def probe_splits_apples_only():  # the goals disagree, but only about apples
    return """
        #######
        #b.A.Y#
        ###.###
        #o....#
        #######
    """


def probe_green_exit_green_apple():  # a green exit sign beside a green apple: split, but says little about the exit
    return """
        #########
        #G..A..g#
        #########
    """


def probe_no_exit():
    return """
        #######
        #g.A.o#
        #######
    """
# --- Assignment 6 · a network --------------------------------------------------------------------------------------
def policy_plain_softmax(logits, open_moves):  # forgets the mask
    z = np.asarray(logits, float)
    w = np.exp(z - z.max(axis=1, keepdims=True))
    return w / w.sum(axis=1, keepdims=True)


def policy_mask_after_softmax(logits, open_moves):  # zeroes closed moves but does not renormalise
    return policy_plain_softmax(logits, open_moves) * np.asarray(open_moves)


def policy_wrong_axis(logits, open_moves):  # normalises over the batch, not over moves
    z = np.where(open_moves, np.asarray(logits, float), -np.inf)
    w = np.where(open_moves, np.exp(z - z.max()), 0.0)
    return w / w.sum(axis=0, keepdims=True)


def policy_naive_exp(logits, open_moves):  # overflows for confident networks
    with np.errstate(over="ignore", invalid="ignore"):
        w = np.where(open_moves, np.exp(np.asarray(logits, float)), 0.0)
        return w / w.sum(axis=1, keepdims=True)


def loss_no_clipping(new, old, adv, clip):
    return float(np.mean(-adv * np.exp(new - old)))


def loss_ratio_without_exp(new, old, adv, clip):
    ratio = new - old
    return float(np.maximum(-adv * ratio, -adv * np.clip(ratio, 1 - clip, 1 + clip)).mean())


def loss_clips_the_advantage(new, old, adv, clip):
    ratio = np.exp(new - old)
    return float(np.maximum(-adv * ratio, -np.clip(adv, 1 - clip, 1 + clip) * ratio).mean())


def loss_sum(new, old, adv, clip):
    ratio = np.exp(new - old)
    return float(np.maximum(-adv * ratio, -adv * np.clip(ratio, 1 - clip, 1 + clip)).sum())


def _channel_columns(channel, n_tiles):
    from gmg_teach.world.image import CHANNELS
    c = CHANNELS.index(channel)
    return slice(c * n_tiles, (c + 1) * n_tiles)


def ablate_exit_instead(w, channel, n_tiles):  # always ablates the exit channel
    w = np.array(w, dtype=float)
    w[:, _channel_columns("exit", n_tiles)] = 0.0
    return w


def ablate_rows(w, channel, n_tiles):  # hidden units instead of inputs
    w = np.array(w, dtype=float)
    w[_channel_columns(channel, n_tiles)] = 0.0
    return w


def ablate_in_place(w, channel, n_tiles):  # changes the argument, returns nothing
    w[:, _channel_columns(channel, n_tiles)] = 0.0


def ablate_interleaved(w, channel, n_tiles):  # assumes tile-major inputs (channel fastest)
    from gmg_teach.world.image import CHANNELS, N_CHANNELS
    w = np.array(w, dtype=float)
    w[:, CHANNELS.index(channel)::N_CHANNELS] = 0.0
    return w


def ablate_everything_after(w, channel, n_tiles):  # from the channel to the end
    w = np.array(w, dtype=float)
    w[:, _channel_columns(channel, n_tiles).start:] = 0.0
    return w


@dataclass
class Exercise:
    answer: str  # the name the answer cell defines
    bugs: dict[str, Callable | object] = field(default_factory=dict)  # planted bug name -> function (or value)
    ignored_seed: tuple[str, ...] = ()  # which of the bugs ignore the seed / generator (seeded exercises)
    value: bool = False  # the answer is a value (a prediction), not a function
    crash: str | None = None  # a bug that crashes inside the student's code: its hint must name the line


EXERCISES: dict[tuple[str, str], Exercise] = {
    ("01_the_maze", "test_all_goals_update"): Exercise("all_goals_update", {
        "no arrival reward": update_no_arrival, "bootstraps from the tile it left": update_bootstraps_from_here,
        "one max over moves and goals": update_max_over_everything,
        "ignores the learning rate": update_ignores_learning_rate,
        "updates only the goal it landed on": update_only_the_landing_goal,
        "changes the table, returns nothing": update_in_place_no_return}),
    ("01_the_maze", "test_choose_move"): Exercise("choose_move", {
        "np.argmax (no tie-breaking)": choose_argmax, "a fresh generator per call": choose_ignores_rng,
        "np.random instead of rng": choose_global_random, "a generator of seed 0": choose_fixed_seed,
        "sums over objects": choose_sums_objects, "heads for the most valuable object": choose_most_valuable_object,
        "ignores the rewards": choose_ignores_rewards},
        ignored_seed=("a fresh generator per call", "np.random instead of rng", "a generator of seed 0")),
    ("01_the_maze", "test_fit_goal"): Exercise("fit_goal", {
        "no prior (least squares)": fit_without_prior, "prior precision used as a variance": fit_prior_as_variance,
        "precision added to every entry": fit_prior_everywhere, "X X^T (crashes)": fit_crashes},
        crash="X X^T (crashes)"),
    ("01_the_maze", "test_predict_larger_weight"): Exercise("predicted_larger_weight", {
        "not one of the options": "blue", "a number": 0.9, "None": None}, value=True),
    ("02_capabilities_vs_goals", "test_decision_log_likelihood"): Exercise("decision_log_likelihood", {
        "counts repeated decisions": loglik_counts_repeats, "naive softmax (overflows)": loglik_naive_softmax,
        "forgets the normalisation": loglik_unnormalised, "mean instead of sum": loglik_mean,
        "ignores beta": loglik_ignores_beta}),
    ("02_capabilities_vs_goals", "test_classify_cell"): Exercise("classify_cell", {
        "restates the thresholds": cell_restates_thresholds, "mean efficiency": cell_mean_efficiency,
        "votes instead of mean shares": cell_votes, "NaN instead of None": cell_nan_for_nothing,
        "success = reached anything": cell_success_anything,
        "undetermined episodes vote": cell_every_episode_votes,
        "the old three-argument definition": cell_old_signature}),
    ("02_capabilities_vs_goals", "test_predict_renovated_cell"): Exercise("predicted_renovated_cell", {
        "not a cell name": "capabilities fail", "a number": 3}, value=True),
    ("02_capabilities_vs_goals", "test_noisy_rates"): Exercise("noisy_rates", {
        "seed 0 always": noisy_fixed_seed, "a fresh generator": noisy_fresh_generator,
        "epsilon the wrong way round": noisy_inverted_epsilon, "no noise at all": noisy_no_noise,
        "rates without mean steps": noisy_rates_only, "the agent's own exploration": noisy_own_exploration,
        "a half turn, not a quarter": noisy_half_turn, "always a quarter to the right": noisy_always_right},
        ignored_seed=("seed 0 always", "a fresh generator")),
    ("03_unidentifiability", "test_goal_posterior"): Exercise("goal_posterior", {
        "ignores the prior": posterior_ignores_prior, "exp without subtracting the max": posterior_naive_exp,
        "mean over episodes": posterior_mean_over_episodes, "prior not logged": posterior_prior_not_logged,
        "not normalised": posterior_unnormalised, "first episode only": posterior_first_episode_only}),
    ("03_unidentifiability", "test_predict_train_posterior"): Exercise("predicted_train_posterior", {
        "not an option": "exit or green", "a dict": {"exit": 0.5}}, value=True),
    ("03_unidentifiability", "test_shaped_reward"): Exercise("shaped_reward", {
        "potential kept on objects": shaped_keeps_terminal_potential, "sign flipped": shaped_sign_flipped,
        "no discount": shaped_no_discount, "zeroes only the next tile": shaped_zeroes_only_the_next_tile}),
    ("03_unidentifiability", "test_same_optimal_policy"): Exercise("same_optimal_policy", {
        "compares Q-values": policy_compares_values, "plans reward_a twice": policy_copy_paste,
        "compares rewards without planning": policy_compares_rewards, "compares V": policy_compares_values_v}),
    ("03_unidentifiability", "test_design_distinguishing_level"): Exercise("design_distinguishing_level", {
        "a training level (exit green)": level_exit_is_green, "green apple nearer": level_green_apple_nearer,
        "no exit sign": level_no_exit, "an object behind a wall": level_unreachable,
        "a one-row corridor": level_corridor, "the other apple as far as the green one": level_fork_apples_tied,
        "a list, not a string": level_not_a_string}),
    ("04_gallery", "test_tie_split"): Exercise("tie_split", {
        "an equal split": split_equal, "no prior (least squares)": split_least_squares,
        "coefficients, not weights": split_coefficients, "shares by salience, not squared": split_by_salience,
        "one row of data": split_one_row}),
    ("04_gallery", "test_distinguishing"): Exercise("distinguishing", {
        "only off the corner": apart_off_corner_only, "inverted": apart_inverted,
        "farther than the corner": apart_farther_than_corner}),
    ("04_gallery", "test_smallest_fixing_k"): Exercise("smallest_fixing_k", {
        "the control's k": k_the_control, "k = 1 (the misgeneralizing agent)": k_one,
        "k = 3 (not the smallest)": k_three, "a string": k_as_text,
        "a float": k_as_float}),
    ("04_gallery", "test_predict_corner_share"): Exercise("predicted_corner_share", {
        "not an option": "the corner", "a number": 0.9}, value=True),
    ("05_what_helps", "test_best_probabilities"): Exercise("best_probabilities", {
        "argmax: ties to the first object": best_argmax_only, "ties share the credit": best_ties_shared,
        "counts, not shares": best_counts, "kind weights only": best_kind_only, "seed 0 always": best_seed_zero,
        "a fresh generator": best_fresh_generator, "the posterior mean only": best_posterior_mean_only},
        ignored_seed=("seed 0 always", "a fresh generator")),
    ("05_what_helps", "test_ask_or_act"): Exercise("ask_or_act", {
        "asks when exactly at the confidence": ask_at_or_below, "identical apples share the credit": ask_ties_shared,
        "inverted": ask_inverted, "never asks": ask_never, "returns a bool": ask_returns_bool,
        "the least likely object decides": ask_min_not_max, "acts on the object most often best": ask_most_often_best,
        "acts on the first sample": ask_first_sample}),
    ("05_what_helps", "test_design_probe"): Exercise("design_probe", {
        "a training level": probe_training_level, "splits apples only": probe_splits_apples_only,
        "green exit beside a green apple": probe_green_exit_green_apple, "no exit sign": probe_no_exit,
        "a list, not a string": level_not_a_string}),
    ("05_what_helps", "test_predict_strong_prior_asks"): Exercise("predicted_strong_prior_asks", {
        "not an option": "never", "a number": 0.0}, value=True),
    ("06_a_network", "test_masked_policy"): Exercise("masked_policy", {
        "plain softmax (no mask)": policy_plain_softmax, "mask after softmax, not renormalised": policy_mask_after_softmax,
        "normalised over the batch": policy_wrong_axis, "naive exp (overflows)": policy_naive_exp}),
    ("06_a_network", "test_ppo_clip_loss"): Exercise("ppo_clip_loss", {
        "no clipping": loss_no_clipping, "ratio without exp": loss_ratio_without_exp,
        "clips the advantage": loss_clips_the_advantage, "sum instead of mean": loss_sum}),
    ("06_a_network", "test_ablate_channel"): Exercise("ablate_channel", {
        "ablates the exit channel": ablate_exit_instead, "zeroes hidden units": ablate_rows,
        "in place, returns nothing": ablate_in_place, "channel-fastest layout": ablate_interleaved,
        "everything from the channel on": ablate_everything_after}),
}


# --- running one test cell -----------------------------------------------------------------------------------------
def _cells(folder: Path, assignment: str) -> dict:
    nb = nbformat.read(folder / f"{assignment}.ipynb", as_version=4)
    return {grade_id(c): c for c in nb.cells if grade_id(c)}


_SOLUTION_CELLS = {}


def solution_cells(assignment):
    if assignment not in _SOLUTION_CELLS:
        _SOLUTION_CELLS[assignment] = _cells(SOLUTIONS, assignment)
    return _SOLUTION_CELLS[assignment]


def answer_cell_of(assignment: str, test_id: str) -> str:
    """grade_id of the answer cell the test cell follows."""
    nb = nbformat.read(SOLUTIONS / f"{assignment}.ipynb", as_version=4)
    last = None
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            last = grade_id(cell)
        if grade_id(cell) == test_id:
            return last
    raise KeyError(test_id)


def run_test_cell(assignment: str, test_id: str, bind: Callable[[dict], None]) -> None:
    """Setup cell, then ``bind(namespace)`` (the answer), then the full test cell (hidden tests included)."""
    cells = solution_cells(assignment)
    namespace: dict = {"__name__": "__main__"}
    exec(compile(cells["setup"].source, f"<{assignment} setup>", "exec"), namespace)
    bind(namespace)
    old = os.getcwd()
    os.chdir(EXERCISES_DIR)
    try:
        exec(compile(cells[test_id].source, f"<{assignment} {test_id}>", "exec"), namespace)
    finally:
        os.chdir(old)


def exec_answer(source: str, where: str):
    def bind(namespace):
        try:
            exec(compile(source, where, "exec"), namespace)
        except NotImplementedError:  # a stub that raises at once (a prediction not made yet)
            pass
    return bind


def bind_value(name: str, value, is_value: bool):
    def bind(namespace):
        namespace[name] = value
    return bind


CASES = sorted(EXERCISES)


@pytest.mark.parametrize("assignment,test_id", CASES)
def test_the_reference_passes(assignment, test_id, capsys):
    answer = answer_cell_of(assignment, test_id)
    run_test_cell(assignment, test_id, exec_answer(solution_cells(assignment)[answer].source, f"<{answer}>"))
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("assignment,test_id", CASES)
def test_the_untouched_stub_fails(assignment, test_id):
    answer = answer_cell_of(assignment, test_id)
    stub = _cells(EXERCISES_DIR, assignment)[answer].source
    assert "raise NotImplementedError()" in stub
    with pytest.raises(CheckFailed):
        run_test_cell(assignment, test_id, exec_answer(stub, f"<{answer} stub>"))


BUG_CASES = [(a, t, bug) for (a, t), ex in sorted(EXERCISES.items()) for bug in ex.bugs]


@pytest.mark.parametrize("assignment,test_id,bug", BUG_CASES)
def test_each_planted_bug_fails_with_a_hint(assignment, test_id, bug):
    ex = EXERCISES[assignment, test_id]
    with pytest.raises(CheckFailed) as failed:
        run_test_cell(assignment, test_id, bind_value(ex.answer, ex.bugs[bug], ex.value))
    message = str(failed.value)
    assert "Traceback" not in message and len(message) < 3000
    if bug == ex.crash:
        assert "at line" in message and "With" not in message, message


@pytest.mark.parametrize("assignment,test_id", CASES)
def test_a_lying_eq_fails(assignment, test_id):
    ex = EXERCISES[assignment, test_id]
    fake = LyingStr("anything") if ex.value else liar
    with pytest.raises(CheckFailed):
        run_test_cell(assignment, test_id, bind_value(ex.answer, fake, ex.value))


@pytest.mark.parametrize("assignment,test_id", CASES)
def test_seeded_exercises_have_an_ignored_seed_bug(assignment, test_id):
    """A function that takes a seed or a generator has at least one planted bug that ignores it (and it fails)."""
    ex = EXERCISES[assignment, test_id]
    source = solution_cells(assignment)[answer_cell_of(assignment, test_id)].source
    signature = re.search(rf"def {ex.answer}\((.*?)\)", source)
    seeded = bool(signature) and bool(re.search(r"\b(seed|rng)\b", signature.group(1)))
    assert bool(ex.ignored_seed) == seeded, "a seeded exercise needs an ignored-seed bug (and only those do)"
    assert set(ex.ignored_seed) <= set(ex.bugs)


def graded_cell_after(assignment: str, answer: str) -> str:
    """grade_id of the graded test cell that follows the answer cell ``answer``."""
    nb = nbformat.read(SOLUTIONS / f"{assignment}.ipynb", as_version=4)
    ids = [grade_id(c) for c in nb.cells]
    return next(gid for gid in ids[ids.index(answer) + 1:] if gid and gid.startswith("test_"))


def text_bugs():
    """(assignment, answer, why, right, wrong, advice) for every bug in solutions/<assignment>.bugs.py."""
    for path in sorted(SOLUTIONS.glob("*.bugs.py")):
        for answer, bugs in runpy.run_path(str(path))["BUGS"].items():
            for why, right, wrong, *advice in bugs:
                yield pytest.param(path.name[:-len(".bugs.py")], answer, right, wrong, advice[0] if advice else None,
                                   id=f"{path.name[:2]}-{answer}-{why[:50]}")


@pytest.mark.parametrize("assignment,answer,right,wrong,advice", list(text_bugs()))
def test_each_planted_text_bug_fails_with_its_advice(assignment, answer, right, wrong, advice):
    source = solution_cells(assignment)[answer].source
    regions = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source, re.S)
    assert sum(region.count(right) for region in regions) == 1 == source.count(right), \
        "the planted bug no longer applies to the solution region"
    with pytest.raises(CheckFailed) as failed:
        run_test_cell(assignment, graded_cell_after(assignment, answer),
                      exec_answer(source.replace(right, wrong), f"<{answer} with a planted bug>"))
    message = str(failed.value)
    assert "Traceback" not in message and len(message) < 3000
    assert advice is None or advice in message, message


def test_there_are_text_bugs_for_every_assignment():
    assert {p.name[:-len(".bugs.py")] for p in SOLUTIONS.glob("*.bugs.py")} == {p.stem for p in SOLUTIONS.glob("*.ipynb")}


def test_every_graded_test_cell_is_in_the_table():
    for notebook in sorted(SOLUTIONS.glob("*.ipynb")):
        nb = nbformat.read(notebook, as_version=4)
        for cell in nb.cells:
            if is_grade(cell) and cell.cell_type == "code":
                assert (notebook.stem, grade_id(cell)) in EXERCISES, (notebook.stem, grade_id(cell))
