"""Agents against independent references: value iteration, hand-computed regressions, scripted experience."""

import ast
from pathlib import Path

import numpy as np
import pytest

import gmg_teach
from gmg_teach import GoalModel, LearnerConfig, NavigationValues, compile_levels, get_distribution, train_learner
from gmg_teach.agents.planning import Planner, object_q_values, solve_transitions, value_iteration
from gmg_teach.measure.goals import reach_exit
from gmg_teach.measure.rollouts import rollout
from gmg_teach.world.tables import next_state_table

AGENT_MODULES = ["navigation.py", "goal_model.py", "learner.py"]
SMALL = get_distribution("train", size=4, n_apples=1, layout=2)


def _learned_map(walls, steps=20_000, sweeps=120, seed=0):
    moves = next_state_table(walls)
    floor = np.flatnonzero(~walls.ravel())
    nav = NavigationValues.empty(len(moves), discount=0.9)
    rng = np.random.default_rng(seed)
    tile = np.array([floor[0]])
    for _ in range(steps):  # a random walk: the agent's own experience, nothing else
        action = rng.integers(4, size=1)
        nxt = moves[tile, action]
        nav.record(tile, action, nxt)
        tile = nxt
    for _ in range(sweeps):
        nav.replay()
    return nav, moves, floor


def test_learned_navigation_values_equal_value_iteration_for_every_goal():
    walls = SMALL.walls
    nav, moves, floor = _learned_map(walls)
    assert nav.n_known == len(floor)
    for goal in floor[::5]:
        reward = (moves == goal).astype(float)  # 1 for entering the goal tile
        terminal = np.arange(len(moves)) == goal
        q_vi, _ = solve_transitions(moves, reward, terminal, 0.9)
        learned = nav.action_values(floor, np.full((len(floor), 1), goal))[:, 0]
        np.testing.assert_allclose(learned, q_vi[floor], atol=1e-5)
        np.testing.assert_allclose(nav.value_map(goal)[floor], q_vi[floor].max(axis=1), atol=1e-5)


def test_a_fresh_map_knows_nothing_and_unvisited_goals_are_worth_nothing():
    nav = NavigationValues.empty(10)
    assert nav.n_known == 0 and nav.coverage() == 0.0
    assert (nav.action_values(np.array([3]), np.array([[5, 7]])) == 0).all()
    assert (nav.value_map(4) == 0).all()


def test_object_q_values_equal_value_iteration():
    tables = compile_levels(get_distribution("deploy", size=5).levels(3, seed=1))
    closed = object_q_values(tables, 0.9)
    for level in range(3):
        for obj in range(3):
            reward = np.zeros(tables.n_tiles)
            reward[tables.object_tile[level, obj]] = 1.0
            q, _ = value_iteration(tables, level, reward=reward, discount=0.9)
            floor = ~tables.levels[level].walls.ravel() & (tables.object_at[level] < 0)
            np.testing.assert_allclose(closed[level, obj][floor], q[floor], atol=1e-8)


def test_a_planner_given_the_map_reaches_the_exit_every_time():
    tables = compile_levels(get_distribution("deploy", renovation=8).levels(50, seed=2))
    result = rollout(Planner(tables, reach_exit(tables)), tables)
    assert result.rates()["exit"] == 1.0
    assert np.allclose(result.path_efficiency, 1.0)


def test_goal_model_splits_a_tie_by_salience():
    # Train data: a green exit (reward 1) and non-green apples (reward 0): exit and green always agree.
    for k, c in [(1.0, 3.0), (3.0, 1.0), (1.0, 1.0), (2.0, 0.5)]:
        goal = GoalModel(k, c, prior_precision=1e-6)
        goal.record([0, 1, 1], [0, 1, 3], [1.0, 0.0, 0.0])
        w = goal.as_dict()
        assert w["exit"] == pytest.approx(k**2 / (k**2 + c**2), abs=1e-4)
        assert w["green"] == pytest.approx(c**2 / (k**2 + c**2), abs=1e-4)
        assert goal.reward(0, 0) == pytest.approx(1.0, abs=1e-4)  # the training exit: fitted exactly


def test_goal_posterior_is_a_ridge_along_kind_minus_colour_and_collapses_with_distinguishing_levels():
    goal = GoalModel(1.0, 1.0, prior_precision=1.0)
    for _ in range(50):
        goal.record([0, 1], [0, 2], [1.0, 0.0])  # green exit 1, yellow apple 0: kind and colour agree
    mean, cov = goal.contrasts()
    along, across = np.array([1, -1]) / 2**0.5, np.array([1, 1]) / 2**0.5
    assert mean.sum() == pytest.approx(1.0, abs=0.02)  # only the sum is pinned down
    assert along @ cov @ along > 5 * (across @ cov @ across)
    for _ in range(5):
        goal.record([0, 1], [1, 0], [1.0, 0.0])  # an orange exit and a green apple
    mean_after, cov_after = goal.contrasts()
    assert along @ cov_after @ along < (along @ cov @ along) / 4
    assert mean_after[0] > 0.8 and abs(mean_after[1]) < 0.2  # the kind, not the colour, carries the reward


def test_steering_changes_the_weights_not_the_original():
    goal = GoalModel()
    goal.record([0], [0], [1.0])
    steered = goal.steer(green=0.0, exit=1.0)
    assert steered.as_dict()["green"] == 0.0 and steered.as_dict()["exit"] == 1.0
    assert goal.override is None and goal.as_dict()["green"] > 0.5
    with pytest.raises(ValueError, match="Unknown goal feature"):
        goal.steer(purple=1.0)
    with pytest.raises(ValueError, match="must be a number"):
        goal.steer(exit="high")


@pytest.mark.parametrize("kwargs, words", [
    ({"kind_salience": 0}, "kind_salience must be a number > 0"),
    ({"prior_precision": -1}, "prior_precision must be a number > 0"),
])
def test_goal_model_refuses_bad_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        GoalModel(**kwargs)


@pytest.mark.parametrize("field, value", [("episodes", 0), ("epsilon", 1.5), ("discount", 1.0),
                                           ("batch_size", 2.5), ("colour_salience", 0)])
def test_learner_config_refuses_out_of_range_values(field, value):
    with pytest.raises(ValueError, match=f"LearnerConfig.{field}="):
        LearnerConfig(**{field: value})


def test_train_learner_refuses_a_wrong_config():
    with pytest.raises(ValueError, match="config must be a LearnerConfig"):
        train_learner("train", config={"episodes": 10})


def test_same_seed_same_agent_bit_for_bit():
    config = LearnerConfig(episodes=200)
    a = train_learner("train", config, seed=9).agent
    b = train_learner("train", config, seed=9).agent
    c = train_learner("train", config, seed=10).agent
    assert np.array_equal(a.navigation.q, b.navigation.q) and np.array_equal(a.goal.weights, b.goal.weights)
    assert not np.array_equal(a.navigation.q, c.navigation.q)


def test_agent_code_never_names_a_distance_or_a_planner():
    """The agent's navigation comes from experience: its modules never touch the measuring stick."""
    forbidden = {"distance", "maze_distances", "value_iteration", "solve_transitions", "object_q_values", "Planner",
                 "planning", "MazeTables", "compile_levels", "UNREACHABLE"}
    folder = Path(gmg_teach.__file__).parent / "agents"
    for name in AGENT_MODULES:
        tree = ast.parse((folder / name).read_text())
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        used |= {a.name.split(".")[-1] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                 for a in n.names}
        used |= {n.module.split(".")[-1] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not used & forbidden, f"agents/{name} uses {sorted(used & forbidden)}"


def test_training_and_acting_work_with_the_distance_functions_broken(monkeypatch):
    def broken(*args, **kwargs):
        raise AssertionError("the agent asked for a maze distance")

    import gmg_teach.world.levels as levels
    import gmg_teach.world.tables as tables

    monkeypatch.setattr(levels, "maze_distances", broken)
    monkeypatch.setattr(tables, "maze_distances", broken)
    result = train_learner("deploy", LearnerConfig(episodes=300), seed=0)
    obs_tile = np.array([20])
    objects = np.array([[[19 * 1 + 1, 0, 1], [37, 1, 0], [55, 1, 2]]])
    assert result.agent.act(obs_tile, objects, np.random.default_rng(0)).shape == (1,)


def test_an_agent_refuses_a_building_of_another_size_in_words():
    from gmg_teach.measure.rollouts import rollout
    from gmg_teach.world.distributions import Distribution

    agent = train_learner(Distribution("train", size=5), LearnerConfig(episodes=50), seed=0).agent
    with pytest.raises(ValueError, match="only act in a building of the size it learned"):
        rollout(agent, Distribution("deploy", size=10).levels(3, 0))
