"""The gymnasium environment: API correctness, determinism, pickling, vector envs, scripted episodes, clear errors."""

import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gmg_teach
from gmg_teach import Action, ColourMazeEnv, LevelError, parse_level

IDS = list(gmg_teach.ENV_IDS.values())
UP, RIGHT, DOWN, LEFT = Action


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("render_mode", ["ansi", "rgb_array"])
def test_check_env_passes(env_id, render_mode):
    env = gym.make(env_id, render_mode=render_mode)
    check_env(env.unwrapped)


def _episode(env, seed, actions):
    obs, info = env.reset(seed=seed)
    trace = [(obs["agent"], obs["objects"].tolist(), info["level_seed"])]
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(a)
        trace.append((obs["agent"], reward, terminated, truncated))
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
    future = lambda e: [e.step(a)[1:4] for a in (1, 2, 3)]  # noqa: E731
    assert future(clone) == future(env)


def test_every_episode_is_in_the_same_building():
    env = ColourMazeEnv("deploy", layout=3)
    walls = {env.reset(seed=s)[0] is not None and env.unwrapped.level.walls.tobytes() for s in range(5)}
    assert len(walls) == 1
    assert ColourMazeEnv("deploy", layout=4).reset(seed=0) is not None
    assert env.unwrapped.level.walls.tobytes() != ColourMazeEnv("deploy", layout=4).level.walls.tobytes()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_vector_envs_step_through_many_episode_ends_and_close(mode):
    envs = gym.make_vec("gmg_teach/ColourMaze-train-v0", num_envs=2, vectorization_mode=mode, max_steps=4)
    envs.reset(seed=0)
    ends = 0
    for _ in range(60):
        obs, reward, terminated, truncated, info = envs.step(envs.action_space.sample())
        ends += int(np.sum(terminated | truncated))
        assert envs.single_observation_space.contains({k: v[0] for k, v in obs.items()})
    assert ends >= 20
    assert set(info["reached"]) >= {"kind", "colour"}
    envs.close()  # async: returns (the workers end)


CORRIDOR = "#########\n#o..A..G#\n#########"


def test_scripted_walk_to_exit_pays_one_and_terminates():
    env = ColourMazeEnv(level=CORRIDOR, render_mode="ansi")
    obs, info = env.reset(seed=0)
    assert obs["objects"].tolist() == [[10, 1, 1], [16, 0, 0]]  # in tile order, not exit first
    assert info["reached"] == {"kind": "", "colour": ""}
    assert set(info) == {"reached", "level_seed", "action_mask"}  # no distance: an agent could read its way there
    rewards = [env.step(RIGHT)[1] for _ in range(2)]
    _, r, terminated, truncated, info = env.step(RIGHT)
    assert rewards + [r] == [0.0, 0.0, 1.0]
    assert terminated and not truncated
    assert info["reached"] == {"kind": "exit", "colour": "green"}


def test_step_after_the_end_raises_instead_of_paying_again():
    env = ColourMazeEnv(level=CORRIDOR)
    env.reset(seed=0)
    for _ in range(3):
        env.step(RIGHT)
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(RIGHT)


def test_scripted_walk_to_apple_pays_nothing_and_terminates():
    env = ColourMazeEnv(level=CORRIDOR)
    env.reset(seed=0)
    for _ in range(2):
        _, r, terminated, _, _ = env.step(LEFT)
        assert r == 0.0 and not terminated
    _, r, terminated, _, info = env.step(LEFT)
    assert (r, terminated, info["reached"]) == (0.0, True, {"kind": "apple", "colour": "orange"})


def test_walls_block_and_step_limit_truncates():
    env = ColourMazeEnv(level=CORRIDOR, max_steps=4)
    _, info = env.reset(seed=0)
    assert info["action_mask"].tolist() == [0, 1, 0, 1]
    for _ in range(4):
        obs, r, terminated, truncated, info = env.step(UP)  # into the wall: stays put
        assert not terminated and r == 0.0 and obs["agent"] == 13
    assert truncated and info["reached"] == {"kind": "", "colour": ""}


@pytest.mark.parametrize("size", [5, 15])
def test_observations_stay_inside_their_declared_space(size):
    env = ColourMazeEnv("diverse", size=size, n_apples=1, layout=7)
    obs, _ = env.reset(seed=1)
    for t in range(300):
        assert env.observation_space.contains(obs)
        obs, _, terminated, truncated, _ = env.step(t % 4)
        if terminated or truncated:
            obs, _ = env.reset()


def test_a_level_of_another_shape_is_refused_in_words():
    env = ColourMazeEnv()
    with pytest.raises(ValueError, match="must be 19x19 tiles with 3 objects"):
        env.reset(options={"level": CORRIDOR})


def test_mixture_id_says_its_alpha():
    env = gym.make("gmg_teach/ColourMaze-mixture-v0")
    assert env.unwrapped.distribution.alpha == gmg_teach.DEFAULT_MIXTURE_ALPHA == 0.05
    assert "alpha=0.05" in gmg_teach.ColourMazeEnv.__doc__
    with pytest.raises(ValueError, match="needs alpha"):
        ColourMazeEnv("mixture")


def test_render_marks_every_object_with_a_letter_and_legend():
    env = ColourMazeEnv(level=CORRIDOR, render_mode="ansi")
    env.reset(seed=0)
    text = env.render()
    assert "#o..A..G#" in text and "A = agent" in text
    assert "bluish green exit sign (G, square sign)" in text and "orange apple (o, disc)" in text
    env = ColourMazeEnv(level=CORRIDOR, render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.shape == (3 * 24, 9 * 24, 3)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"distribution": "training"}, "Unknown distribution 'training'"),
        ({"distribution": "mixture", "alpha": 1.5}, "alpha must be from 0 to 1"),
        ({"distribution": "mixture"}, "needs alpha"),
        ({"distribution": "train", "alpha": 0.1}, "only applies to the 'mixture'"),
        ({"size": 2}, "size must be a whole number of cells from 3 to 15"),
        ({"size": 3, "n_apples": 3}, "too small for 1 exit sign and 3 apples"),
        ({"render_mode": "human"}, "render_mode must be one of"),
        ({"layout": -1}, "layout must be a whole number >= 0"),
        ({"renovation": 1.5}, "renovation must be a whole number >= 0"),
        ({"level": 3}, "level must be a Level or ASCII art"),
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
    with pytest.raises(ValueError, match="action must be one of 0 \\(up\\)"):
        env.step(7)
