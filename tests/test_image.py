"""The image observation (gmg_teach/world/image.py), the registered time limit, and Stable-Baselines3 on every id."""

import time

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gmg_teach
from gmg_teach import ColourMazeEnv, compile_levels, parse_level
from gmg_teach.world.image import (CHANNELS, COLOUR_CHANNEL, KIND_CHANNEL, ImageObservation, encode_images,
                                   level_images)
from gmg_teach.world.palette import Colour, Kind

CORRIDOR = """
#######
#o.A.G#
#######
"""


def test_channels_name_walls_agent_each_kind_and_colour():
    assert CHANNELS == ("wall", "agent", "exit", "apple", "green", "orange", "yellow", "blue")
    assert [CHANNELS[KIND_CHANNEL[k]] for k in Kind] == ["exit", "apple"]
    assert [CHANNELS[COLOUR_CHANNEL[c]] for c in Colour] == ["green", "orange", "yellow", "blue"]


def test_encoding_of_a_drawn_level():
    tables = compile_levels(parse_level(CORRIDOR))
    img = encode_images(level_images(tables), [0], [tables.start[0]])[0]
    assert img.shape == (8, 3, 7) and img.dtype == np.uint8 and set(np.unique(img)) == {0, 1}
    assert (img[0] == (np.array(list(CORRIDOR.strip().replace("\n", ""))) == "#").reshape(3, 7)).all()
    on = {name: sorted(zip(*np.nonzero(img[i]))) for i, name in enumerate(CHANNELS) if name != "wall"}
    assert on == {"agent": [(1, 3)], "exit": [(1, 5)], "apple": [(1, 1)], "green": [(1, 5)], "orange": [(1, 1)],
                  "yellow": [], "blue": []}


def test_batched_encoding_matches_one_level_at_a_time():
    levels = gmg_teach.get_distribution("diverse").levels(5, seed=3)
    tables = compile_levels(levels)
    static = level_images(tables)
    rng = np.random.default_rng(0)
    level = rng.integers(0, 5, size=12)
    tile = rng.integers(0, tables.n_tiles, size=12)
    batch = encode_images(static, level, tile)
    for i in range(12):
        one = encode_images(level_images(compile_levels(levels[level[i]])), [0], [tile[i]])[0]
        assert (batch[i] == one).all()
    assert static[:, 1].sum() == 0  # encode_images did not write into the static part


def test_wrapper_passes_gymnasiums_checker_and_tracks_the_agent():
    env = ImageObservation(gym.make("gmg_teach/ColourMaze-deploy-v0"), pixels_per_tile=2)
    check_env(env.unwrapped)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs) and obs.shape == (8, 38, 38)
    for t in range(30):
        tile = env.unwrapped._tile
        r, c = divmod(tile, 19)
        assert obs[1].sum() == 4 * 255 and obs[1, 2 * r, 2 * c] == 255
        obs, _, terminated, truncated, _ = env.step(t % 4)
        if terminated or truncated:
            obs, _ = env.reset()


def test_wrapper_rejects_other_envs_and_bad_scale():
    with pytest.raises(ValueError, match="ColourMaze"):
        ImageObservation(gym.make("CartPole-v1"))
    with pytest.raises(ValueError, match="pixels_per_tile"):
        ImageObservation(ColourMazeEnv(), pixels_per_tile=0)


def test_time_limit_is_registered_not_built_in():
    env = gym.make("gmg_teach/ColourMaze-train-v0", max_episode_steps=500, level=CORRIDOR)
    env.reset(seed=0)
    for step in range(1, 501):
        _, _, terminated, truncated, _ = env.step(0)  # up, into the wall: never ends on its own
        assert not terminated and truncated == (step == 500)
    assert gym.spec("gmg_teach/ColourMaze-train-v0").max_episode_steps == gmg_teach.MAX_EPISODE_STEPS == 200


@pytest.mark.slow
@pytest.mark.parametrize("env_id", sorted(gmg_teach.ENV_IDS.values()))
@pytest.mark.parametrize("policy", ["CnnPolicy", "MlpPolicy"])
def test_stable_baselines3_ppo_builds_and_runs(env_id, policy):
    """SB3's PPO builds and runs a few thousand steps on the image of every id (training budgets: lesson 6).

    CnnPolicy is SB3's Nature DQN network, which needs 36x36 pixels or more: 2 pixels a tile on the 19x19 building.
    """
    stable_baselines3 = pytest.importorskip("stable_baselines3")
    import torch

    torch.set_num_threads(1)
    env = ImageObservation(gym.make(env_id), pixels_per_tile=2 if policy == "CnnPolicy" else 1)
    model = stable_baselines3.PPO(policy, env, n_steps=512, batch_size=128, n_epochs=1, seed=0, device="cpu")
    start = time.process_time()
    model.learn(2048)
    assert model.num_timesteps >= 2048
    print(f"{policy} on {env_id}: {model.num_timesteps / (time.process_time() - start):.0f} steps per CPU second")


def test_stable_baselines3s_checker_accepts_the_image():
    """SB3's own env checker: no warning at 2 pixels a tile (at 1, it says CnnPolicy wants 36x36)."""
    pytest.importorskip("stable_baselines3")
    import warnings

    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sb3_check_env(ImageObservation(gym.make("gmg_teach/ColourMaze-mixture-v0"), pixels_per_tile=2))
    assert [str(w.message) for w in caught] == []
