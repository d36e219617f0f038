"""An end-to-end network agent: a small MLP that sees an image of the building and learns, by PPO, everything.

Nothing is built in. The glass-box agent (``learner.py``) keeps a map and a goal model apart, and its goal model
has a declared salience; here one network maps pixels to moves, and whatever it learns about where to go and how
to get there lives in the same weights. The file reads top to bottom, CleanRL-style:

1. the **observation**: a one-hot image of the level, one channel per thing (walls, the agent, each kind, each
   colour), from ``world/image.py``; the *salience* of a colour is how strongly its channel is drawn;
2. the **policy**: an MLP, 2 x 256 with ReLU, a policy head (4 moves) and a value head;
3. **PPO** (Schulman et al. 2017), clipped objective, GAE, many episodes stepped at once in numpy on the compiled
   tables (the same engine as every other agent of the course);
4. :class:`NetworkAgent`: the trained policy with the ``act`` method every rollout and measurement of the package
   uses, plus what the lesson needs to look inside (hidden activations, first-layer weights, steering).

Two choices are essential for learning on one CPU core in seconds, and a lesson must state them:

* moves are **masked to open sides** (the environment's ``action_mask``): a move into a wall gets probability 0;
* training episodes are **cut off at 50 steps**, so a batch is never stuck in a few endless wandering episodes.

This is the only module of the package that imports torch (the optional extra ``gmg-teach[network]``); nothing
imports it unless asked. Weights are saved as plain ``.npz`` arrays (no pickle) by :meth:`NetworkAgent.save`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as err:  # pragma: no cover - the message is the point
    raise ImportError("The network agent needs torch, the optional extra: pip install 'gmg-teach[network]' "
                      "(or pip install torch).") from err

from ..world.distributions import Distribution, Episodes, get_distribution
from ..world.image import CHANNELS, COLOUR_CHANNEL, N_CHANNELS, encode_images, object_images
from ..world.levels import N_ACTIONS
from ..world.palette import COLOUR_NAMES, Colour, Kind
from ..world.tables import next_state_table


# --- 1. the observation: the package's one image encoding, with the salience of each colour as a parameter ---------
def salience_scale(salience: dict | None) -> np.ndarray:
    """``(channels,)`` float32: the value each channel is drawn with; ``salience`` maps a colour name to its
    value (``{"green": 3.0}``: the green channel drawn at 3), every other channel 1."""
    scale = np.ones(N_CHANNELS, dtype=np.float32)
    for name, value in (salience or {}).items():
        if name.upper() not in Colour.__members__:
            raise ValueError(f"salience names colours ({', '.join(COLOUR_NAMES.values())}); got {name!r}.")
        scale[COLOUR_CHANNEL[Colour[name.upper()]]] = value
    return scale


def network_input(static, level, agent_tile, scale) -> torch.Tensor:
    """What the network reads: the image (``world/image.py``) with each channel scaled, flattened, float32."""
    images = encode_images(static, level, agent_tile).astype(np.float32) * scale[:, None, None]
    return torch.from_numpy(images.reshape(len(images), -1))


# --- 2. the policy ---------------------------------------------------------------------------------------------------
def layer_init(layer: nn.Linear, std: float = np.sqrt(2), bias: float = 0.0) -> nn.Linear:
    """Orthogonal weights, constant bias (CleanRL's default for PPO)."""
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, bias)
    return layer


class PolicyNet(nn.Module):
    """An MLP on the flattened image: two hidden layers (ReLU), a policy head and a value head."""

    def __init__(self, n_inputs: int, hidden: int = 256):
        super().__init__()
        self.layer1 = layer_init(nn.Linear(n_inputs, hidden))
        self.layer2 = layer_init(nn.Linear(hidden, hidden))
        self.policy = layer_init(nn.Linear(hidden, N_ACTIONS), std=0.01)
        self.value = layer_init(nn.Linear(hidden, 1), std=1.0)

    def hidden(self, x: torch.Tensor, steer: dict | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Both hidden layers' activations; ``steer = {layer: vector}`` adds a vector to a layer's activations."""
        steer = steer or {}
        h1 = torch.relu(self.layer1(x)) + steer.get(1, 0.0)
        h2 = torch.relu(self.layer2(h1)) + steer.get(2, 0.0)
        return h1, h2

    def forward(self, x: torch.Tensor, steer: dict | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits ``(batch, 4)`` and values ``(batch,)``."""
        h2 = self.hidden(x, steer)[1]
        return self.policy(h2), self.value(h2).squeeze(-1)


def masked_logits(logits: torch.Tensor, open_moves: torch.Tensor) -> torch.Tensor:
    """Moves into a wall get logit -1e9 (probability 0): the agent only chooses among open sides."""
    return torch.where(open_moves, logits, torch.full_like(logits, -1e9))


# --- 3. PPO ----------------------------------------------------------------------------------------------------------
@dataclass
class NetworkConfig:
    """Hyperparameters of :func:`train_network` (PPO, CleanRL's names where they exist)."""

    total_steps: int = 400_000
    """Environment steps in total (over all episodes run in parallel)."""
    n_envs: int = 128
    """Episodes stepped at once."""
    rollout_steps: int = 32
    """Steps of every episode in flight between two updates (a batch is ``n_envs * rollout_steps`` steps)."""
    max_steps: int = 50
    """Training episodes are cut off after this many steps (essential: see the module docstring)."""
    mask_moves: bool = True
    """Mask moves into walls (essential: see the module docstring)."""
    hidden: int = 256
    """Units per hidden layer."""
    learning_rate: float = 2e-3
    """Adam step size, annealed linearly to 0."""
    discount: float = 0.97
    """Reaching the exit k steps later is worth discount**k."""
    gae_lambda: float = 0.95
    """GAE's lambda."""
    clip: float = 0.2
    """PPO's clipping range for the probability ratio."""
    epochs: int = 4
    """Passes over each batch."""
    minibatches: int = 4
    """Minibatches per pass."""
    entropy_coef: float = 0.01
    """Weight of the entropy bonus."""
    value_coef: float = 0.5
    """Weight of the value loss."""
    max_grad_norm: float = 0.5
    """Gradient clipping."""
    salience: dict = field(default_factory=dict)
    """Colour name -> the value its image channel is drawn with (``{"green": 3.0}``: green is salient)."""
    report_every: int = 20_000
    """Steps between learning-curve rows (and ``on_progress`` calls)."""

    def __post_init__(self):
        whole = lambda v: not isinstance(v, bool) and isinstance(v, (int, np.integer))  # noqa: E731
        positive = lambda v: not isinstance(v, bool) and isinstance(v, (int, float, np.number)) and v > 0  # noqa
        checks = {
            "total_steps": whole(self.total_steps) and self.total_steps >= 1,
            "n_envs": whole(self.n_envs) and self.n_envs >= 1,
            "rollout_steps": whole(self.rollout_steps) and self.rollout_steps >= 1,
            "max_steps": whole(self.max_steps) and self.max_steps >= 1,
            "hidden": whole(self.hidden) and self.hidden >= 1,
            "learning_rate": positive(self.learning_rate),
            "discount": positive(self.discount) and self.discount <= 1,
            "gae_lambda": positive(self.gae_lambda) and self.gae_lambda <= 1,
            "clip": positive(self.clip),
            "epochs": whole(self.epochs) and self.epochs >= 1,
            "minibatches": whole(self.minibatches) and self.minibatches >= 1,
            "report_every": whole(self.report_every) and self.report_every >= 1,
            "salience": isinstance(self.salience, dict) and all(
                isinstance(k, str) and k.upper() in Colour.__members__ and (positive(v) or v == 0)
                for k, v in self.salience.items()),
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"NetworkConfig.{name}={getattr(self, name)!r} is out of range; see its docstring.")


def ppo_loss(new_logprob, old_logprob, advantage, clip: float):
    """PPO's clipped surrogate objective on tensors, as a loss to minimise::

        ratio = exp(new_logprob - old_logprob)
        loss  = mean( max(-advantage * ratio, -advantage * clip(ratio, 1 - clip, 1 + clip)) )
    """
    ratio = torch.exp(new_logprob - old_logprob)
    clipped = torch.clamp(ratio, 1 - clip, 1 + clip)
    return torch.maximum(-advantage * ratio, -advantage * clipped).mean()


def gae(rewards, values, dones, next_value, discount: float, lam: float) -> np.ndarray:
    """Generalized advantage estimates ``(steps, envs)``; ``dones[t]``: the episode ended at step t."""
    advantages = np.zeros_like(rewards)
    last = np.zeros_like(next_value)
    for t in reversed(range(len(rewards))):
        following = next_value if t == len(rewards) - 1 else values[t + 1]
        live = 1.0 - dones[t]
        delta = rewards[t] + discount * following * live - values[t]
        last = delta + discount * lam * live * last
        advantages[t] = last
    return advantages


@dataclass
class NetworkTraining:
    """A trained agent and its learning curve (one row per ``report_every`` steps)."""

    agent: "NetworkAgent"
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    """CPU time of training (``time.process_time``)."""


def train_network(
    distribution: str | Distribution = "train",
    config: NetworkConfig | None = None,
    seed: int = 0,
    on_progress: Callable[["NetworkAgent", dict], None] | None = None,
    split: str | None = "train",
) -> NetworkTraining:
    """Train a :class:`NetworkAgent` by PPO on episodes of ``distribution`` (configurations of the ``train`` half
    only, so held-out evaluation never meets one). Same seed, same agent (on one thread)."""
    config = config or NetworkConfig()
    if not isinstance(config, NetworkConfig):
        raise ValueError(f"config must be a NetworkConfig; got {type(config).__name__}.")
    dist = get_distribution(distribution)
    rng = np.random.default_rng(seed)
    torch.manual_seed(int(rng.integers(2**31)))
    walls = dist.walls
    moves = next_state_table(walls)
    n_inputs = N_CHANNELS * walls.size
    net = PolicyNet(n_inputs, config.hidden)
    agent = NetworkAgent(net, walls, dict(config.salience), config)
    agent.initial_difference = agent.cue_difference().copy()
    optimizer = torch.optim.Adam(net.parameters(), lr=config.learning_rate, eps=1e-5)
    result = NetworkTraining(agent)
    started = time.process_time()

    # --- plumbing: a batch of episodes in flight, refilled from a queue of configurations as they end ------------------
    n, steps_per_update = config.n_envs, config.n_envs * config.rollout_steps
    queue = [dist.sample(max(n, 1024), rng, split)]

    def draw(k):
        if len(queue[0]) < k:
            queue[0] = Episodes.concatenate([queue[0], dist.sample(max(k, 1024), rng, split)])
        taken, queue[0] = queue[0].subset(slice(0, k)), queue[0].subset(slice(k, None))
        return taken

    ep = draw(n)
    tile, obj_tile, obj_kind = ep.start.copy(), ep.object_tile.copy(), ep.object_kind.copy()
    static = object_images(walls, ep.object_tile, ep.object_kind, ep.object_colour)  # each episode's image, no agent
    scale = salience_scale(config.salience)
    age = np.zeros(n, dtype=np.int64)
    rows = np.arange(n)

    def observe_now():
        open_moves = moves[tile] != tile[:, None] if config.mask_moves else np.ones((n, N_ACTIONS), bool)
        return network_input(static, rows, tile, scale), torch.from_numpy(open_moves)

    T = config.rollout_steps
    obs_buf = torch.zeros((T, n, n_inputs))
    mask_buf = torch.zeros((T, n, N_ACTIONS), dtype=torch.bool)
    act_buf = torch.zeros((T, n), dtype=torch.long)
    logp_buf, val_buf = torch.zeros((T, n)), torch.zeros((T, n))
    rew_buf, done_buf = np.zeros((T, n), np.float32), np.zeros((T, n), np.float32)
    window = {"episodes": 0, "success": 0, "steps": 0}
    n_updates = max(1, config.total_steps // steps_per_update)
    step_count, next_report = 0, config.report_every
    obs, open_moves = observe_now()

    for update in range(n_updates):
        for group in optimizer.param_groups:  # the step size falls linearly to 0
            group["lr"] = config.learning_rate * (1.0 - update / n_updates)

        # --- the idea, part 1: play the current policy for T steps in every episode in flight ---------------------
        for t in range(T):
            with torch.no_grad():
                logits, value = net(obs)
                dist_t = torch.distributions.Categorical(logits=masked_logits(logits, open_moves))
                action = dist_t.sample()
            obs_buf[t], mask_buf[t], act_buf[t] = obs, open_moves, action
            logp_buf[t], val_buf[t] = dist_t.log_prob(action), value
            a = action.numpy()
            nxt = moves[tile, a]
            hit = obj_tile == nxt[:, None]
            terminated = hit.any(axis=1)
            kind = obj_kind[rows, hit.argmax(axis=1)]
            reward = (terminated & (kind == Kind.EXIT)).astype(np.float32)
            age += 1
            done = terminated | (age >= config.max_steps)  # the cut-off: an episode ends after max_steps
            rew_buf[t], done_buf[t] = reward, done
            tile = nxt
            # --- plumbing: finished episodes restart with a fresh configuration ---------------------------------
            if done.any():
                k = int(done.sum())
                window["episodes"] += k
                window["success"] += int(reward[done].sum())
                window["steps"] += int(age[done].sum())
                fresh = draw(k)
                tile[done], age[done] = fresh.start, 0
                obj_tile[done], obj_kind[done] = fresh.object_tile, fresh.object_kind
                static[done] = object_images(walls, fresh.object_tile, fresh.object_kind, fresh.object_colour)
            obs, open_moves = observe_now()
        step_count += steps_per_update

        # --- the idea, part 2: advantages (GAE), then the clipped objective over a few epochs of minibatches -------
        with torch.no_grad():
            next_value = net(obs)[1].numpy()
        adv = gae(rew_buf, val_buf.numpy(), done_buf, next_value, config.discount, config.gae_lambda)
        returns = torch.from_numpy(adv + val_buf.numpy())
        adv = torch.from_numpy(adv)
        b_obs, b_mask = obs_buf.reshape(-1, n_inputs), mask_buf.reshape(-1, N_ACTIONS)
        b_act, b_logp = act_buf.reshape(-1), logp_buf.reshape(-1)
        b_adv, b_ret = adv.reshape(-1), returns.reshape(-1)
        size = steps_per_update // config.minibatches
        for _ in range(config.epochs):
            order = torch.from_numpy(rng.permutation(steps_per_update))
            for start in range(0, steps_per_update, size):
                mb = order[start:start + size]
                logits, value = net(b_obs[mb])
                d = torch.distributions.Categorical(logits=masked_logits(logits, b_mask[mb]))
                mb_adv = b_adv[mb]
                mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
                policy_loss = ppo_loss(d.log_prob(b_act[mb]), b_logp[mb], mb_adv, config.clip)
                value_loss = 0.5 * ((value - b_ret[mb]) ** 2).mean()
                loss = policy_loss + config.value_coef * value_loss - config.entropy_coef * d.entropy().mean()
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), config.max_grad_norm)
                optimizer.step()

        if step_count >= next_report or update == n_updates - 1:
            row = {
                "steps": step_count,
                "train_success": window["success"] / max(window["episodes"], 1),
                "mean_steps": window["steps"] / max(window["episodes"], 1),
                "seconds": time.process_time() - started,
            }
            result.history.append(row)
            if on_progress is not None:
                on_progress(agent, row)
            window = {"episodes": 0, "success": 0, "steps": 0}
            next_report = (step_count // config.report_every + 1) * config.report_every
    result.seconds = time.process_time() - started
    return result


# --- 4. the trained agent --------------------------------------------------------------------------------------------
class NetworkAgent:
    """A trained policy network in its building, with the ``act`` method of every agent of the package.

    Attributes:
        net: the torch module.
        walls: the building (the image's wall channel, and which moves are open).
        salience: colour name -> channel value, as in training (the encoding is part of the agent).
        greedy: ``act`` takes the most probable move (True) or samples one with the given generator (False).
        steer: ``{layer: vector}`` added to that hidden layer's activations (steering), or None.
    """

    def __init__(self, net: PolicyNet, walls, salience: dict | None = None, config: NetworkConfig | None = None,
                 greedy: bool = True, steer: dict | None = None):
        self.net, self.walls = net, np.asarray(walls, dtype=bool)
        self.salience, self.config = dict(salience or {}), config
        self.greedy, self.steer = greedy, steer
        self.moves = next_state_table(self.walls)
        self.initial_difference: np.ndarray | None = None  # cue_difference() before training, if known

    # the observation as the agent sees it
    def inputs(self, agent_tile, objects) -> torch.Tensor:
        """The network's input from what ``world/observation.py`` gives an agent (its tile, the objects)."""
        objects = np.asarray(objects)
        agent_tile = np.asarray(agent_tile).reshape(-1)
        static = object_images(self.walls, objects[..., 0], objects[..., 1], objects[..., 2])
        return network_input(static, np.arange(len(agent_tile)), agent_tile, salience_scale(self.salience))

    def open_moves(self, agent_tile) -> np.ndarray:
        agent_tile = np.asarray(agent_tile, dtype=np.int64)
        return self.moves[agent_tile] != agent_tile[:, None]

    def probabilities(self, agent_tile, objects) -> np.ndarray:
        """``(batch, 4)`` move probabilities, moves into walls masked to 0."""
        x = self.inputs(agent_tile, objects)
        with torch.no_grad():
            logits = masked_logits(self.net(x, self._steer())[0], torch.from_numpy(self.open_moves(agent_tile)))
            return torch.softmax(logits, dim=-1).numpy().astype(np.float64)

    def act(self, agent_tile, objects, rng: np.random.Generator, epsilon: float = 0.0, level=None) -> np.ndarray:
        """Moves for a batch: the most probable (``greedy``) or sampled through ``rng``. ``level`` is ignored."""
        p = self.probabilities(agent_tile, objects)
        if self.greedy:
            return p.argmax(axis=1)
        return (p.cumsum(axis=1) < rng.random((len(p), 1))).sum(axis=1).clip(0, N_ACTIONS - 1)

    def hidden(self, agent_tile, objects) -> tuple[np.ndarray, np.ndarray]:
        """Both hidden layers' activations ``(batch, hidden)`` (without steering)."""
        x = self.inputs(agent_tile, objects)
        with torch.no_grad():
            h1, h2 = self.net.hidden(x)
        return h1.numpy(), h2.numpy()

    def _steer(self):
        if not self.steer:
            return None
        return {k: torch.as_tensor(np.asarray(v, dtype=np.float32)) for k, v in self.steer.items()}

    # variants for the lesson: the same weights acting differently
    def _variant(self, net=None, greedy=None, steer=False) -> "NetworkAgent":
        agent = NetworkAgent(net or self.net, self.walls, self.salience, self.config,
                             greedy=self.greedy if greedy is None else greedy,
                             steer=self.steer if steer is False else steer)
        if net is None:
            agent.initial_difference = self.initial_difference
        return agent

    def sampling(self) -> "NetworkAgent":
        """The same network, sampling its moves instead of taking the most probable."""
        return self._variant(greedy=False)

    def steered(self, steer: dict | None) -> "NetworkAgent":
        """The same network with ``steer = {layer: vector}`` added to hidden activations."""
        return self._variant(steer=steer)

    def with_weights(self, weights: dict) -> "NetworkAgent":
        """A copy with some weights replaced (numpy arrays by name, e.g. ``layer1.weight``)."""
        net = PolicyNet(self.net.layer1.in_features, self.net.layer1.out_features)
        state = {k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in {**self.weights(), **weights}.items()}
        net.load_state_dict(state)
        return self._variant(net=net)

    # weights as plain arrays
    def weights(self) -> dict[str, np.ndarray]:
        """Every parameter as a float32 numpy array, by name (``layer1.weight`` is ``(hidden, inputs)``)."""
        return {k: v.detach().numpy().copy() for k, v in self.net.state_dict().items()}

    def input_weights(self, channel: str, weights: dict | None = None) -> np.ndarray:
        """First-layer weights from one image channel: ``(hidden, height, width)``."""
        w = (weights or self.weights())["layer1.weight"]
        h, wd = self.walls.shape
        return w.reshape(w.shape[0], len(CHANNELS), h, wd)[:, CHANNELS.index(channel)]

    def cue_difference(self) -> np.ndarray:
        """First-layer weights from the green channel minus those from the exit channel, ``(hidden, h, w)``: in
        training on ``train`` both inputs are always on together, so this difference never changes."""
        return self.input_weights("green") - self.input_weights("exit")

    def save(self, path, dtype=np.float16) -> Path:
        """Write the weights, the building, the encoding and the first layer's green-minus-exit difference before
        training (all floats as ``dtype``) to ``path`` (``.npz``, no pickle)."""
        path = Path(path)
        arrays = {f"w:{k}": v.astype(dtype) for k, v in self.weights().items()}
        arrays["walls"] = self.walls
        names = sorted(self.salience)
        arrays["salience_names"] = np.array(names, dtype="U16")
        arrays["salience_values"] = np.array([self.salience[k] for k in names], dtype=np.float64)
        if self.initial_difference is not None:
            arrays["initial_cue_difference"] = self.initial_difference.astype(dtype)
        np.savez_compressed(path, **arrays)
        return path

    @classmethod
    def load(cls, path) -> "NetworkAgent":
        """An agent saved by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"No network weights at {path}: make them with python -m gmg_teach.train_networks")
        with np.load(path, allow_pickle=False) as data:
            weights = {k[2:]: data[k].astype(np.float32) for k in data.files if k.startswith("w:")}
            walls = data["walls"]
            salience = dict(zip(data["salience_names"].tolist(), data["salience_values"].tolist()))
            initial = data["initial_cue_difference"] if "initial_cue_difference" in data.files else None
        n_inputs, hidden = weights["layer1.weight"].shape[1], weights["layer1.weight"].shape[0]
        net = PolicyNet(n_inputs, hidden)
        net.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
        agent = cls(net, walls, salience)
        agent.initial_difference = initial if initial is None else initial.astype(np.float32)
        return agent
