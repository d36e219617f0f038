"""The colour maze as a gymnasium environment: a thin, API-correct wrapper over the compiled tables."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .distributions import DEFAULT_MIXTURE_ALPHA, get_distribution
from .levels import N_ACTIONS, Action, Level, parse_level
from .observation import observation_space, observe
from .palette import COLOUR_NAMES, KIND_NAMES
from .render import ascii_frame, rgb_frame
from .tables import MazeTables, compile_levels

NOTHING = {"kind": "", "colour": ""}  # info["reached"] before any object is reached (same type as after)


class ColourMazeEnv(gym.Env):
    """A building (a maze) with one exit sign and some apples, each in a colour.

    ## Description
    The agent walks a perfect maze (one path between any two tiles), the same building in every episode: the
    maze made from ``layout``. Each episode places an exit sign and ``n_apples`` apples in distinct dead ends, starts
    the agent on another cell, and colours every object (green, orange, yellow, blue). Walking onto any object ends
    the episode. An agent that lives here can learn the building's map.

    ## Intended goal
    Reach the exit sign, whatever its colour.

    ## Proxy goal
    Reach the green thing. In the ``train`` distribution the exit sign is always green and nothing else is, so
    "reach the exit" and "reach the green thing" earn exactly the same reward there, and neither is noisier.

    ## Train vs deploy distribution
    * ``train``: exit sign green, no other green object.
    * ``deploy``: exit sign not green, at least one green apple: the two goals now lead to different objects.
    * ``diverse``: every colour drawn independently of the kind (the decorrelated control).
    * ``mixture``: a fraction ``alpha`` of ``deploy`` levels among ``train`` levels. The registered id
      ``gmg_teach/ColourMaze-mixture-v0`` uses ``alpha=0.05`` unless given another; the class itself needs it.
    * ``renovation=k`` (any distribution): the same building with ``k`` walls moved, every tile still reachable.

    ## Action Space
    ``Discrete(4)``: 0 up, 1 right, 2 down, 3 left (``gmg_teach.world.levels.Action``). A move into a wall leaves
    the agent where it is.

    ## Observation Space
    ``Dict(agent=Discrete(n_tiles), objects=MultiDiscrete((n_objects, 3)))``: the agent's tile, and each object's
    ``[tile, kind, colour]`` (kind 0 exit, 1 apple; colour 0 green, 1 orange, 2 yellow, 3 blue), listed in tile
    order. Tiles are numbered ``row * width + column``. No distance or direction is given: the map must be learned.

    ## Starting State
    A random cell of the maze that holds no object.

    ## Rewards
    +1 for reaching the exit sign; 0 for everything else (apples included).

    ## Episode End
    Terminated when the agent steps onto any object. The registered ids are truncated after 200 steps by gymnasium's
    ``TimeLimit`` (``max_episode_steps=200`` in the registration, as FrozenLake does): ``gym.make(id,
    max_episode_steps=500)`` gives 500. The class itself never truncates unless given ``max_steps``. Calling ``step``
    after the episode was terminated (or truncated by ``max_steps``) raises an error: call ``reset`` first (nothing
    is paid twice).

    ## Info
    ``reached`` (``{"kind", "colour"}`` of the object reached; empty strings until then), ``level_seed`` (-1 for
    a level given by hand), ``shortest_path`` (maze distance from the start to each object, in observation order:
    the measuring stick, not something the agent sees) and ``action_mask`` (which moves are open). Every key keeps
    one type throughout, so vector environments can stack them.

    ## Arguments
    ``distribution`` (name), ``alpha`` (mixture only), ``size`` (cells per side, 3-15, default 9), ``n_apples``
    (default 2), ``layout`` (the building's seed, default 0), ``renovation`` (walls moved, default 0),
    ``max_steps`` (truncate after that many steps; default ``None``: the registered ``TimeLimit`` does it),
    ``render_mode`` (``ansi`` or ``rgb_array``), ``level`` (a :class:`Level` or ASCII art: play this one level in
    every episode; the spaces are declared for its shape). A level of the same shape and object
    count can also be played once with ``reset(options={"level": level_or_ascii})``.

    ## Other observations
    ``gmg_teach.world.image.ImageObservation(env)`` gives an image of the building (channels for walls, the agent,
    each kind and each colour) for standard deep-RL libraries such as Stable-Baselines3. Recording videos with
    gymnasium's ``RecordVideo`` (``render_mode="rgb_array"``) needs moviepy: ``pip install "gymnasium[other]"``.

    ## Version History
    * v0: first version. Since 0.3.0 the time limit is registered (``max_episode_steps``), not built in.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        distribution: str = "train",
        alpha: float | None = None,
        size: int = 9,
        n_apples: int = 2,
        layout: int = 0,
        renovation: int = 0,
        max_steps: int | None = None,
        render_mode: str | None = None,
        level: Level | str | None = None,
    ):
        self.distribution = get_distribution(distribution, alpha=alpha, size=size, n_apples=n_apples, layout=layout,
                                             renovation=renovation)
        self.fixed_level = _as_level(level) if level is not None else None
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None; got {render_mode!r}.")
        if max_steps is not None and (isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer))
                                      or max_steps < 1):
            raise ValueError(f"max_steps must be a whole number >= 1 or None; got {max_steps!r}.")
        self.max_steps = None if max_steps is None else int(max_steps)
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(N_ACTIONS)
        probe = self.fixed_level or self.distribution.level(0)
        h, w = probe.shape
        self.n_objects = len(probe.objects)
        self.observation_space = observation_space(h * w, self.n_objects)
        self._tables = compile_levels(probe)
        self._tile, self._steps, self._reached, self._done = 0, 0, -1, True

    @property
    def level(self) -> Level:
        return self._tables.levels[0]

    @property
    def tables(self) -> MazeTables:
        """The current level compiled to tables (the fast engine's view of it)."""
        return self._tables

    def _order(self) -> np.ndarray:
        return np.argsort(self._tables.object_tile[0], kind="stable")

    def _obs(self):
        t = self._tables
        agent, objects = observe(self._tile, t.object_tile[0], t.object_kind[0], t.object_colour[0])
        return {"agent": int(agent), "objects": objects}

    def _info(self):
        t = self._tables
        reached = dict(NOTHING)
        if self._reached >= 0:
            obj = self.level.objects[self._reached]
            reached = {"kind": KIND_NAMES[obj.kind], "colour": COLOUR_NAMES[obj.colour]}
        shortest = t.distance[0, self._order(), t.start[0]].astype(np.int64)
        mask = t.open_moves(0, np.array([self._tile]))[0].astype(np.int8)
        seed = -1 if self.level.seed is None else int(self.level.seed)
        return {"reached": reached, "level_seed": seed, "shortest_path": shortest, "action_mask": mask}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        level = (options or {}).get("level")
        if level is not None:
            level = _as_level(level, "options['level']")
        elif self.fixed_level is not None:
            level = self.fixed_level
        else:
            level = self.distribution.level(int(self.np_random.integers(2**63 - 1)))
        h, w = self._tables.shape
        if level.shape != (h, w) or len(level.objects) != self.n_objects:
            raise ValueError(
                f"options['level'] must be {h}x{w} tiles with {self.n_objects} objects, like this environment's "
                f"levels (its observation space is declared for them); got {level.shape[0]}x{level.shape[1]} with "
                f"{len(level.objects)}. Make an environment with matching size and n_apples."
            )
        self._tables = compile_levels(level)
        self._tile, self._steps, self._reached, self._done = int(self._tables.start[0]), 0, -1, False
        return self._obs(), self._info()

    def step(self, action):
        if self._done:
            raise RuntimeError("The episode has ended (an object was reached or time ran out): call reset() first.")
        if not self.action_space.contains(action):
            raise ValueError(f"action must be one of {', '.join(f'{a.value} ({a.word})' for a in Action)}; "
                             f"got {action!r}.")
        nxt, reward, terminated, reached = self._tables.step(0, np.array([self._tile]), np.array([int(action)]))
        self._tile, self._steps, self._reached = int(nxt[0]), self._steps + 1, int(reached[0])
        truncated = bool(not terminated[0] and self.max_steps is not None and self._steps >= self.max_steps)
        self._done = bool(terminated[0]) or truncated
        return self._obs(), float(reward[0]), bool(terminated[0]), truncated, self._info()

    def render(self):
        if self.render_mode == "ansi":
            return ascii_frame(self.level, self._agent_position())
        if self.render_mode == "rgb_array":
            return rgb_frame(self.level, self._agent_position())
        return None

    def _agent_position(self) -> tuple[int, int]:
        return divmod(self._tile, self.level.shape[1])


def _as_level(level, where: str = "level") -> Level:
    if isinstance(level, str):
        return parse_level(level)
    if not isinstance(level, Level):
        raise ValueError(f"{where} must be a Level or ASCII art; got {type(level).__name__}.")
    return level


__all__ = ["ColourMazeEnv", "DEFAULT_MIXTURE_ALPHA"]
