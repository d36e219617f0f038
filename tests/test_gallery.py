"""Lesson 4's gallery: every env is a correct gymnasium env, and every example shows its effect on held-out episodes.

The effect tests train on the small budget (``fast``) for master seeds nobody tuned on; they are slow-marked.
"""

import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gmg_teach
from gmg_teach.gallery import cheese, leader, monster
from gmg_teach.gallery.run import EXAMPLES, run_gallery, thresholds_hold
from gmg_teach.measure.generalization import GOAL_MISGENERALIZATION, BOTH_GENERALIZE

IDS = [i for i, _ in gmg_teach.GALLERY_IDS.values()]


@pytest.mark.parametrize("env_id", IDS)
def test_check_env_passes(env_id):
    env = gym.make(env_id, render_mode="ansi")
    check_env(env.unwrapped)
    env.reset(seed=0)
    assert isinstance(env.render(), str)


@pytest.mark.parametrize("env_id", IDS)
def test_seeded_and_picklable(env_id):
    actions = np.random.default_rng(0).integers(4, size=40).tolist()

    def trace(env, seed):
        obs, _ = env.reset(seed=seed)
        out = [str(obs)]
        for a in actions:
            obs, r, term, trunc, _ = env.step(a)
            out.append((str(obs), r, term, trunc))
            if term or trunc:
                break
        return out

    assert trace(gym.make(env_id), 3) == trace(gym.make(env_id), 3)
    env = gym.make(env_id)
    env.reset(seed=1)
    clone = pickle.loads(pickle.dumps(env))
    assert [clone.step(1)[1:4] for _ in range(3)] == [env.step(1)[1:4] for _ in range(3)]


@pytest.mark.parametrize("env_id", IDS)
def test_docstring_is_the_spec(env_id):
    doc = gym.spec(env_id).make().unwrapped.__class__.__doc__
    for heading in ("Description", "Action Space", "Observation Space", "Starting State", "Rewards", "Episode End",
                    "Arguments", "Intended goal", "Proxy goal", "Train vs deploy distribution"):
        assert f"## {heading}" in doc, heading


def test_bad_arguments_say_what_was_wrong():
    with pytest.raises(ValueError, match="k .* from 1 to 11"):
        cheese.CheeseCornerEnv(k=0)
    with pytest.raises(ValueError, match="leader must be one of"):
        leader.FollowTheLeaderEnv(leader="boss")
    with pytest.raises(ValueError, match="horizon"):
        monster.MonsterGridworldEnv(horizon=0)


def test_shift_episodes_tell_the_goals_apart():
    world = cheese.building(0)
    eps = cheese.sample(world, 200, np.random.default_rng(0), None)
    c = cheese.cheese_tiles(eps)
    corner = cheese.corner(world)
    on_way = world.on_path(eps.start, np.full(200, corner))
    assert (c != corner).all() and not on_way[np.arange(200), c].any()
    train = cheese.sample(world, 50, np.random.default_rng(1), 1)
    assert (cheese.cheese_tiles(train) == corner).all()


def test_the_agent_sees_no_distances():
    """What a gallery agent reads of an episode: its own tile and each tile's feature indices (no distances)."""
    world = cheese.building(0)
    eps = cheese.sample(world, 4, np.random.default_rng(0), 1)
    assert eps.features.max() <= world.n_tiles and eps.features.dtype == np.int16


def test_place_agent_tie_break_is_salience_squared():
    world = leader.building(0)
    agent, _ = leader.train(world, "expert", 0, 400)
    w = agent.goal.as_dict()
    assert w["leader"] / (w["leader"] + w["blue"]) == pytest.approx(25 / 26, abs=0.02)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 23])
def test_every_example_holds_on_untuned_seeds(seed):
    report = run_gallery(seed, fast=True)
    assert thresholds_hold(report) == {name: True for name in EXAMPLES}, report["examples"]
    for e in report["examples"].values():
        assert e["misgeneralizing"]["shift_cell"]["cell"] == GOAL_MISGENERALIZATION
        assert e["control"]["shift_cell"]["cell"] == BOTH_GENERALIZE
