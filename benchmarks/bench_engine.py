"""Benchmark: the classic per-step gymnasium loop against the compiled, batched engine.

The same Q(lambda) agent (factored table, the course's default hyperparameters) learns on the same 100 training
levels two ways, in one process:

* **gym loop**: one episode at a time through ``ColourMazeEnv.reset/step`` and one ``QAgent.update`` per step;
* **batched**: ``train_q_learning`` stepping 256 levels at once over the compiled tables.

It reports steps per second (median of 3 runs each), and the time to reach a greedy policy that solves the levels
(>= 95% of them reach the exit): for each way, the smallest episode budget on a ladder that gets there, timed from
scratch (batched: all 3 seeds must get there, median time; gym loop: one seed, it is slow).

    python benchmarks/bench_engine.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from gmg_teach import ColourMazeEnv, Cues, QLearningConfig, compile_levels, get_distribution, rollout, train_q_learning
from gmg_teach.agents.q_learning import QAgent

LADDER = (25, 50, 100, 200, 400, 800, 1600, 3200, 5000)
REPEATS = 3  # batched runs per rung; the slow gym loop runs each rung once


def gym_loop(levels, episodes: int, config: QLearningConfig, seed: int):
    """Textbook training: one env, one episode at a time, one update per step."""
    env = ColourMazeEnv(observation=Cues(), max_steps=config.max_steps)
    rng = np.random.default_rng(seed)
    agent = QAgent.empty(env.observation, (5, 5), config.table)
    steps = 0
    started = time.perf_counter()
    for episode in range(episodes):
        obs, info = env.reset(seed=int(rng.integers(2**31)), options={"level": levels[rng.integers(len(levels))]})
        traces = np.zeros((1,) + agent.weights.shape)
        epsilon = config.epsilon(episode)
        done = False
        while not done:
            action = int(agent.act(obs[None], rng, epsilon, info["action_mask"][None].astype(bool))[0])
            next_obs, reward, terminated, truncated, info = env.step(action)
            agent.update(obs[None], np.array([action]), np.array([reward]), next_obs[None], np.array([terminated]),
                         config.learning_rate, config.discount, traces, config.trace_decay)
            obs, done, steps = next_obs, terminated or truncated, steps + 1
    return agent, steps, time.perf_counter() - started


def batched(tables, episodes: int, config: QLearningConfig, seed: int):
    """The package's engine: many levels at once over compiled tables."""
    result = train_q_learning(tables, Cues(), QLearningConfig(**{**config.__dict__, "episodes": episodes}), seed=seed)
    return result.agent, result.seconds


def solves(agent, tables) -> float:
    return rollout(agent, tables, seed=0).rates()["exit"]


def main():
    levels = get_distribution("train").levels(100, seed=12345)
    tables = compile_levels(levels)
    config = QLearningConfig()
    # One transition per update is far noisier than the batched engine's minibatch of up to 256 averaged ones:
    # at the default step size 0.01 the one-at-a-time learner never solved the levels within 5,000 episodes
    # (every weight drifted to ~0.7), so the gym loop gets its own, 10x smaller step size.
    gym_config = QLearningConfig(learning_rate=config.learning_rate / 10)

    # Steps per second, on a fixed budget of 300 episodes each.
    gym_rates, batch_rates = [], []
    for r in range(REPEATS):
        _, steps, seconds = gym_loop(levels, 300, gym_config, seed=r)
        gym_rates.append(steps / seconds)
        counted = {}
        result = train_q_learning(tables, Cues(), QLearningConfig(**{**config.__dict__, "episodes": 3000}), seed=r,
                                  on_progress=lambda agent, row: counted.setdefault(row["episodes"], row))
        steps = sum(row["mean_steps"] * config.report_every for row in counted.values())
        batch_rates.append(steps / result.seconds)
    g, b = statistics.median(gym_rates), statistics.median(batch_rates)
    print(f"steps per second   gym loop {g:12,.0f}   batched {b:12,.0f}   ratio {b / g:6.1f}x")

    # Time to criterion.
    def to_criterion(train, repeats):
        for budget in LADDER:
            times, ok = [], True
            for r in range(repeats):
                agent, seconds = train(budget, r)
                times.append(seconds)
                ok &= solves(agent, tables) >= 0.95
            if ok:
                return budget, statistics.median(times)
        return None, float("nan")

    gym_budget, gym_time = to_criterion(lambda n, r: gym_loop(levels, n, gym_config, r)[::2], 1)
    batch_budget, batch_time = to_criterion(lambda n, r: batched(tables, n, config, r), REPEATS)
    print(f"time to criterion  gym loop {gym_time:9.2f} s ({gym_budget} episodes)   "
          f"batched {batch_time:6.3f} s ({batch_budget} episodes)   ratio {gym_time / batch_time:6.1f}x")


if __name__ == "__main__":
    main()
