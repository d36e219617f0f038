"""Benchmark: the classic per-step gymnasium loop against the package's batched engine, same learner, same criterion.

The same learner (``LearnedAgent``: all-goals navigation with replay, Bayesian linear goal model; the course's
default ``LearnerConfig``) learns the proxy learner's task two ways, in one process:

* **gym loop**: one ``ColourMazeEnv`` episode at a time through ``reset``/``step``, ``agent.learn`` on every single
  transition, a replay sweep every ``replay_every * batch_size`` transitions (the batched schedule, per transition);
* **batched**: ``train_learner`` running ``batch_size`` episodes at once on the compiled tables.

The criterion needs real learning: on 300 held-out train episodes the greedy agent reaches the exit in >= 95% and its
median path efficiency (steps over shortest path) is <= 1.2. For each way, the smallest episode budget on a ladder
that meets it (for every one of 3 training seeds) is timed from scratch: median of 3 runs. The ratio of the two
times-to-criterion is reported, and the per-transition throughput of each way.

    taskset -c 0 python benchmarks/bench_engine.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from gmg_teach import ColourMazeEnv, LearnerConfig, compile_levels, rollout, train_learner
from gmg_teach.agents.learner import new_agent
from gmg_teach.world.distributions import get_distribution

LADDER = (25, 50, 75, 100, 150, 200, 300, 400, 800, 1600)
SEEDS = (0, 1, 2)
CONFIG = LearnerConfig()


def gym_loop(episodes: int, seed: int):
    """Textbook training: one env, one episode at a time, one learning call per transition."""
    env = ColourMazeEnv("train", max_steps=CONFIG.max_steps)  # the batched learner's episode limit too
    rng = np.random.default_rng(seed)
    agent = new_agent(env.observation_space["agent"].n, CONFIG)
    replay_every = CONFIG.replay_every * CONFIG.batch_size
    transitions = 0
    for _ in range(episodes):
        # Train on the train half of configurations, like the batched path (evaluation uses the other half).
        while True:
            obs, _ = env.reset(seed=int(rng.integers(2**31)))
            if _split(env) == "train":
                break
        done = False
        while not done:
            tile, objects = np.array([obs["agent"]]), obs["objects"][None]
            action = agent.act(tile, objects, rng, CONFIG.epsilon)
            obs, reward, terminated, truncated, info = env.step(int(action[0]))
            touched = info["reached"]
            kind = 0 if touched["kind"] == "exit" else 1
            colour = ("green", "orange", "yellow", "blue").index(touched["colour"]) if touched["colour"] else 0
            agent.learn(tile, action, np.array([obs["agent"]]), np.array([kind]), np.array([colour]),
                        np.array([reward]), np.array([terminated]))
            transitions += 1
            if transitions % replay_every == 0:
                agent.navigation.replay()
            done = terminated or truncated
    return agent, transitions


def _split(env):
    from gmg_teach.world.distributions import configuration_split

    return configuration_split(env.unwrapped.level)


def batched(episodes: int, seed: int):
    result = train_learner("train", LearnerConfig(episodes=episodes), seed=seed)
    moves = sum(row["moves"] for row in result.history[-1:])
    return result.agent, moves


def meets_criterion(agent, held_out) -> bool:
    result = rollout(agent, held_out, seed=0)
    return result.rates()["exit"] >= 0.95 and float(np.nanmedian(result.path_efficiency)) <= 1.2


def time_to_criterion(train, held_out):
    for episodes in LADDER:
        if all(meets_criterion(train(episodes, seed)[0], held_out) for seed in SEEDS):
            times = []
            for seed in SEEDS:
                started = time.perf_counter()
                _, transitions = train(episodes, seed)
                times.append(time.perf_counter() - started)
            return episodes, statistics.median(times), transitions
    return None, float("nan"), 0


def main():
    held_out = compile_levels(get_distribution("train").levels(300, seed=12345, split="held_out"))
    rows = {}
    for name, train in (("batched", batched), ("gym loop", gym_loop)):
        episodes, seconds, transitions = time_to_criterion(train, held_out)
        rows[name] = (episodes, seconds, transitions)
        rate = transitions / seconds if seconds == seconds and seconds > 0 else float("nan")
        print(f"{name:<10} criterion at {episodes} episodes: median {seconds:.3f} s over seeds {SEEDS} "
              f"({transitions} transitions in the last run, {rate:,.0f} transitions/s)")
    ratio = rows["gym loop"][1] / rows["batched"][1]
    print(f"time to criterion, gym loop / batched: {ratio:.0f}x")


if __name__ == "__main__":
    main()
