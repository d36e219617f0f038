"""The building as an image: the observation a standard deep-RL agent (a convolutional network) reads.

One encoding for the whole package, used by the gymnasium wrapper :class:`ImageObservation` (for Stable-Baselines3
and other libraries) and by batched trainers that step many levels at once (the network lesson). An image has one
channel per thing that can be on a tile, each a ``(H, W)`` plane of 0/1 over the level's tiles::

    channel  0 wall      1 agent
             2 exit      3 apple                            (one channel per Kind)
             4 green     5 orange    6 yellow    7 blue     (one channel per Colour)

An object lights one kind channel and one colour channel on its tile, so kind and colour are separate features, as
in the Dict observation (``observation.py``). Unlike the Dict observation, the image also shows the **walls**: a
network sees the map, where the tabular learner must learn it from its own moves. Channels are listed in
:data:`CHANNELS`; their order follows ``Kind`` and ``Colour``, so it cannot drift from the rest of the package.

Batched use (pure numpy; ``L`` compiled levels, ``N`` agents)::

    from gmg_teach.world.image import level_images, encode_images
    static = level_images(tables)                 # (L, C, H, W) uint8: walls and objects, no agent; once per batch
    images = encode_images(static, level, tile)   # (N, C, H, W) uint8 in {0, 1}: static[level] plus the agent
    x = images.astype(np.float32)                 # e.g. torch.from_numpy(x) for a network

Objects do not move during an episode, so the static part is computed once per compiled batch and each step only
adds the agent's channel. The gymnasium wrapper scales the same 0/1 image to 0/255 (``uint8``, what SB3 expects of
an image) and can enlarge each tile to ``pixels_per_tile`` pixels a side (SB3's default ``CnnPolicy``, the Nature
DQN network, needs images of at least 36x36: ``pixels_per_tile=2`` on the default 19x19 building).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .palette import COLOUR_NAMES, KIND_NAMES, Colour, Kind
from .tables import MazeTables

WALL, AGENT = 0, 1
KIND_CHANNEL = {k: 2 + int(k) for k in Kind}  # exit 2, apple 3
COLOUR_CHANNEL = {c: 2 + len(Kind) + int(c) for c in Colour}  # green 4 ... blue 7
CHANNELS = ("wall", "agent", *(KIND_NAMES[k] for k in Kind), *(COLOUR_NAMES[c] for c in Colour))
N_CHANNELS = len(CHANNELS)


def level_images(tables: MazeTables) -> np.ndarray:
    """The static part of each compiled level: walls, and each object's kind and colour, shape ``(L, C, H, W)``.

    ``uint8`` in {0, 1}; the agent's channel is empty (:func:`encode_images` adds the agent). Padding objects of
    compiled tables (kind -1, when levels hold different numbers of objects) light nothing.
    """
    walls = np.stack([lvl.walls for lvl in tables.levels])
    return object_images(walls, tables.object_tile, tables.object_kind, tables.object_colour)


def object_images(walls, object_tile, object_kind, object_colour) -> np.ndarray:
    """:func:`level_images` from arrays: ``walls`` ``(H, W)`` (one building) or ``(L, H, W)``, and per level the
    objects' tiles, kinds and colours ``(L, objects)`` (padding: kind -1), as in compiled tables or ``Episodes``."""
    kind = np.asarray(object_kind)
    n = kind.shape[0]
    walls = np.broadcast_to(np.asarray(walls, dtype=bool), (n, *np.shape(walls)[-2:]))
    h, w = walls.shape[-2:]
    images = np.zeros((n, N_CHANNELS, h * w), dtype=np.uint8)
    images[:, WALL] = walls.reshape(n, h * w)
    rows, objs = np.nonzero(kind >= 0)
    tiles = np.asarray(object_tile)[rows, objs]
    images[rows, 2 + kind[rows, objs].astype(np.intp), tiles] = 1
    images[rows, 2 + len(Kind) + np.asarray(object_colour)[rows, objs].astype(np.intp), tiles] = 1
    return images.reshape(n, N_CHANNELS, h, w)


def encode_images(static: np.ndarray, level, agent_tile) -> np.ndarray:
    """Images of ``N`` agents, shape ``(N, C, H, W)``, ``uint8`` in {0, 1}.

    ``static`` is :func:`level_images` of the compiled levels; ``level[i]`` is the level agent ``i`` plays (an index
    into ``static``) and ``agent_tile[i]`` its tile (``row * width + column``). Pure: ``static`` is not changed.
    """
    level = np.asarray(level, dtype=np.intp).reshape(-1)
    agent_tile = np.asarray(agent_tile, dtype=np.intp).reshape(-1)
    if level.shape != agent_tile.shape:
        raise ValueError(f"level and agent_tile must have one length; got {level.shape[0]} and {agent_tile.shape[0]}.")
    images = static[level]  # fancy indexing copies
    h, w = static.shape[-2:]
    rows, cols = np.divmod(agent_tile, w)
    images[np.arange(len(level)), AGENT, rows, cols] = 1
    return images


def image_space(shape: tuple[int, int], pixels_per_tile: int = 1) -> spaces.Box:
    """The gymnasium space of :class:`ImageObservation`: ``Box(0, 255, (C, H * k, W * k), uint8)``."""
    h, w = shape
    return spaces.Box(0, 255, (N_CHANNELS, h * pixels_per_tile, w * pixels_per_tile), dtype=np.uint8)


def to_pixels(images: np.ndarray, pixels_per_tile: int = 1) -> np.ndarray:
    """0/1 images ``(..., C, H, W)`` as 0/255 ``uint8`` with each tile ``pixels_per_tile`` pixels a side."""
    out = images * np.uint8(255)
    if pixels_per_tile > 1:
        out = out.repeat(pixels_per_tile, axis=-2).repeat(pixels_per_tile, axis=-1)
    return out


class ImageObservation(gym.ObservationWrapper):
    """Give the agent an image of the building instead of the Dict observation (channels: :data:`CHANNELS`).

    ``Box(0, 255, (C, H * k, W * k), uint8)``, channels first, with ``k = pixels_per_tile``. Works with any
    ColourMaze id, and with Stable-Baselines3::

        import gymnasium as gym, gmg_teach
        from gmg_teach.world.image import ImageObservation
        from stable_baselines3 import PPO
        env = ImageObservation(gym.make("gmg_teach/ColourMaze-train-v0"), pixels_per_tile=2)
        PPO("CnnPolicy", env, seed=0).learn(10_000)

    The encoding is :func:`encode_images`, the one the batched trainers use.
    """

    def __init__(self, env: gym.Env, pixels_per_tile: int = 1):
        if isinstance(pixels_per_tile, bool) or not isinstance(pixels_per_tile, (int, np.integer)) or pixels_per_tile < 1:
            raise ValueError(f"pixels_per_tile must be a whole number >= 1; got {pixels_per_tile!r}.")
        super().__init__(env)
        tables = getattr(env.unwrapped, "tables", None)
        if not isinstance(tables, MazeTables):
            raise ValueError("ImageObservation wraps a ColourMaze environment (gym.make('gmg_teach/ColourMaze-...')); "
                             f"got {env.unwrapped!r}.")
        self.pixels_per_tile = int(pixels_per_tile)
        self.observation_space = image_space(tables.shape, self.pixels_per_tile)
        self._tables, self._static = None, None

    def observation(self, observation):
        tables = self.env.unwrapped.tables
        if tables is not self._tables:  # a new level (reset compiles one): recompute its static image once
            self._tables, self._static = tables, level_images(tables)
        images = encode_images(self._static, [0], [observation["agent"]])
        return to_pixels(images, self.pixels_per_tile)[0]


__all__ = ["CHANNELS", "N_CHANNELS", "ImageObservation", "encode_images", "image_space", "level_images",
           "object_images", "to_pixels"]
