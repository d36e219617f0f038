"""Agents against independent references: value iteration, breadth-first distances, hand-computed updates."""

import numpy as np
import pytest

from gmg_teach import Cues, Position, QLearningConfig, compile_levels, get_distribution, parse_level, train_q_learning
from gmg_teach.agents.planning import optimal_actions, value_iteration
from gmg_teach.agents.q_learning import QAgent
from gmg_teach.world.tables import UNREACHABLE

ROOM = """
#######
#o...G#
#.#.#.#
#..A..#
#######
"""

SMALL_MAZE = get_distribution("train", size=4, n_apples=1).level(11)


def test_value_iteration_matches_breadth_first_distances():
    tables = compile_levels(SMALL_MAZE)
    q, v = value_iteration(tables, 0, discount=0.9)
    d = tables.distance[0, 0]  # distance to the exit sign (object 0)
    floor = (~SMALL_MAZE.walls.ravel()) & (tables.object_at[0] < 0) & (d < UNREACHABLE)
    np.testing.assert_allclose(v[floor], 0.9 ** (d[floor] - 1))


@pytest.mark.parametrize("level", [parse_level(ROOM), SMALL_MAZE])
def test_greedy_q_learning_policy_equals_value_iteration(level):
    tables = compile_levels(level)
    config = QLearningConfig(episodes=4000, trace_decay=0.0, learning_rate=0.5, discount=0.9, batch_size=16,
                             exploring_starts=True, epsilon_start=1.0, epsilon_end=0.3, max_steps=50)
    agent = train_q_learning(tables, Position(), config, seed=0).agent
    q_vi, _ = value_iteration(tables, 0, discount=0.9)
    best = optimal_actions(q_vi, tolerance=1e-6)
    open_moves = tables.open_moves(0, np.arange(tables.n_tiles))
    checked = 0
    for tile in np.flatnonzero(~level.walls.ravel() & (tables.object_at[0] < 0)):
        q = np.where(open_moves[tile], agent.q_values(np.array([[tile]]))[0], -np.inf)
        assert best[tile, q.argmax()], f"tile {divmod(tile, level.shape[1])}: learned {q}, optimal {q_vi[tile]}"
        checked += 1
    assert checked >= 8


def test_same_seed_same_weights_bit_for_bit():
    levels = get_distribution("train").levels(30, seed=3)
    config = QLearningConfig(episodes=300)
    a = train_q_learning(levels, Cues(), config, seed=9).agent.weights
    b = train_q_learning(levels, Cues(), config, seed=9).agent.weights
    c = train_q_learning(levels, Cues(), config, seed=10).agent.weights
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_one_step_update_by_hand():
    agent = QAgent.empty(Cues(), (5, 5), "factored")
    agent.weights[:] = 0.0
    agent.weights[7, 1] = 0.5  # exit cue value 2 (feature 5 + 2), action right
    obs, nxt = np.array([[0, 1]]), np.array([[3, 2]])
    td = agent.update(obs, np.array([1]), np.array([0.0]), nxt, np.array([False]), learning_rate=0.1, discount=0.9)
    # target = 0 + 0.9 * max_a Q(next) = 0.9 * 0.5; Q(o, right) was 0 -> TD error 0.45; both weights move by 0.045
    np.testing.assert_allclose(td, [0.45])
    assert agent.weights[0, 1] == pytest.approx(0.045) and agent.weights[6, 1] == pytest.approx(0.045)


def test_joint_and_factored_features():
    joint = QAgent.empty(Cues(), (5, 5), "joint")
    factored = QAgent.empty(Cues(), (5, 5), "factored")
    obs = np.array([[2, 3], [4, 0]])
    assert joint.features(obs).tolist() == [[13], [20]]
    assert factored.features(obs).tolist() == [[2, 8], [4, 5]]


def test_ties_break_at_random_but_reproducibly():
    agent = QAgent.empty(Cues(), (5, 5), "factored")
    obs = np.zeros((4000, 2), dtype=int)
    counts = np.bincount(agent.act(obs, np.random.default_rng(0)), minlength=4)
    assert counts.min() > 900  # all four equal Q-values: each chosen about a quarter of the time
    again = agent.act(obs, np.random.default_rng(0))
    assert np.array_equal(again, agent.act(obs, np.random.default_rng(0)))


@pytest.mark.parametrize("field, value", [("learning_rate", 0), ("discount", 1.0), ("episodes", 0),
                                          ("table", "deep"), ("trace_decay", 2.0), ("slip", -0.1)])
def test_config_errors_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        QLearningConfig(**{field: value})


@pytest.mark.parametrize("kwargs", [{"green_misread": 1.5}, {"exit_misread": -0.2}, {"exit_misread": "often"}])
def test_cue_probabilities_checked(kwargs):
    with pytest.raises(ValueError, match="probability between 0 and 1"):
        Cues(**kwargs)


def test_training_needs_levels():
    with pytest.raises(ValueError, match="Expected a Level"):
        train_q_learning("train", Cues())


def test_learning_curve_has_one_row_per_report_and_no_empty_windows():
    levels = get_distribution("train").levels(30, seed=3)
    history = train_q_learning(levels, Cues(), QLearningConfig(episodes=600, report_every=25), seed=0).history
    episodes = [row["episodes"] for row in history]
    assert episodes == sorted(set(episodes)) and episodes[-1] == 600
    assert all(row["mean_steps"] >= 1 for row in history)  # every row summarises at least one episode
