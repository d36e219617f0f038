"""The gymnasium environment: API correctness, determinism, pickling, scripted episodes, clear errors."""

import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gmg_teach
from gmg_teach import ColourMazeEnv, LevelError, parse_level

IDS = list(gmg_teach.ENV_IDS.values())
UP, RIGHT, DOWN, LEFT = range(4)


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("render_mode", ["ansi", "rgb_array"])
def test_check_env_passes(env_id, render_mode):
    env = gym.make(env_id, render_mode=render_mode)
    check_env(env.unwrapped)


def _episode(env, seed, actions):
    obs, info = env.reset(seed=seed)
    trace = [(obs.tolist(), info["level_seed"])]
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(a)
        trace.append((obs.tolist(), reward, terminated, truncated))
        if terminated or truncated:
            break
    return trace


@pytest.mark.parametrize("env_id", IDS)
def test_reset_with_seed_is_deterministic(env_id):
    actions = np.random.default_rng(0).integers(4, size=60).tolist()
    a = _episode(gym.make(env_id), 123, actions)
    b = _episode(gym.make(env_id), 123, actions)
    c = _episode(gym.make(env_id), 124, actions)
    assert a == b
    assert a != c


@pytest.mark.parametrize("env_id", IDS)
def test_env_pickles_mid_episode(env_id):
    env = gym.make(env_id)
    env.reset(seed=5)
    env.step(0)
    clone = pickle.loads(pickle.dumps(env))
    assert clone.unwrapped.level.to_ascii() == env.unwrapped.level.to_ascii()
    # Same state, same random generator: the same future.
    assert [clone.step(1)[1:4] for _ in range(5)] == [env.step(1)[1:4] for _ in range(5)]


CORRIDOR = """
#########
#o..A..G#
#########
"""


def test_scripted_walk_to_exit_pays_one_and_terminates():
    env = ColourMazeEnv(render_mode="ansi")
    env.reset(seed=0, options={"level": CORRIDOR})
    rewards, terminated = [], False
    for a in [RIGHT, RIGHT, RIGHT]:
        _, r, terminated, truncated, info = env.step(a)
        rewards.append(r)
    assert rewards == [0.0, 0.0, 1.0]
    assert terminated and not truncated
    assert info["reached"] == {"kind": "exit", "colour": "green"}


def test_scripted_walk_to_apple_pays_nothing_and_terminates():
    env = ColourMazeEnv()
    _, info = env.reset(seed=0, options={"level": CORRIDOR})
    assert [o["shortest_path"] for o in info["objects"]] == [3, 3]
    for a in [LEFT, LEFT]:
        _, r, terminated, _, _ = env.step(a)
        assert r == 0.0 and not terminated
    _, r, terminated, _, info = env.step(LEFT)
    assert (r, terminated, info["reached"]) == (0.0, True, {"kind": "apple", "colour": "orange"})


def test_walls_block_and_step_limit_truncates():
    env = ColourMazeEnv(max_steps=4)
    _, info = env.reset(seed=0, options={"level": CORRIDOR})
    assert info["action_mask"].tolist() == [0, 1, 0, 1]
    for i in range(4):
        _, r, terminated, truncated, info = env.step(UP)  # into the wall: stays put
        assert not terminated and r == 0.0
    assert truncated and info["reached"] is None


def test_observation_cues_point_along_shortest_paths():
    env = ColourMazeEnv(observation=gmg_teach.Cues(0.0, 0.0))
    obs, _ = env.reset(seed=0, options={"level": "#######\n#g.A.B#\n#######"})
    assert obs.tolist() == [LEFT, RIGHT]  # green cue -> the green apple, exit cue -> the blue exit


def test_render_marks_every_object_with_a_letter_and_legend():
    env = ColourMazeEnv(render_mode="ansi")
    env.reset(seed=0, options={"level": CORRIDOR})
    text = env.render()
    assert "#o..A..G#" in text and "A = agent" in text
    assert "bluish green exit sign (G, square sign)" in text and "orange apple (o, disc)" in text
    env = ColourMazeEnv(render_mode="rgb_array")
    env.reset(seed=0, options={"level": CORRIDOR})
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.shape == (3 * 24, 9 * 24, 3)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"distribution": "training"}, "Unknown distribution 'training'"),
        ({"distribution": "mixture", "alpha": 1.5}, "alpha must be in [0, 1]"),
        ({"distribution": "mixture"}, "needs alpha"),
        ({"distribution": "train", "alpha": 0.1}, "only applies to the 'mixture'"),
        ({"size": 2}, "size must be a whole number of cells from 3 to 25"),
        ({"size": 3, "n_apples": 3}, "too small for 1 exit sign and 3 apples"),
        ({"render_mode": "human"}, "render_mode must be one of"),
        ({"observation": "pixels"}, "Unknown observation 'pixels'"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, words):
    with pytest.raises(ValueError) as err:
        ColourMazeEnv(**kwargs)
    assert words in str(err.value)


@pytest.mark.parametrize(
    "art, words",
    [
        ("#####\n#A.G#\n####", "same width"),
        ("#####\n#A.X#\n#####", "Unknown character 'X' at row 1, column 3"),
        ("#####\n#..G#\n#####", "no start"),
        ("#####\n#A.g#\n#####", "exactly one exit sign"),
        ("#######\n#A#.G.#\n#######", "cannot be reached"),
        ("#######\n#A.oG.#\n#######", "cannot be reached"),
        ("", "empty"),
    ],
)
def test_malformed_ascii_levels_raise_clear_errors(art, words):
    with pytest.raises(LevelError) as err:
        parse_level(art)
    assert words in str(err.value)


def test_bad_action_is_refused_in_words():
    env = ColourMazeEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be 0 \\(up\\)"):
        env.step(7)
