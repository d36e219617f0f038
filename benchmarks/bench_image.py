"""Benchmark: the image observation (gmg_teach/world/image.py), batched and through gymnasium, and SB3's PPO on it.

Three measurements, CPU time (``time.process_time``), medians of 5 repeats, in one process:

* **batched**: ``encode_images`` for 256 agents on 256 compiled levels per call, against the baseline of one batched
  move of the same agents (``MazeTables.step``): how much the image adds to a batched trainer's step;
* **gymnasium**: ``ImageObservation`` steps per CPU second, against the bare env (the Dict observation);
* **SB3** (when installed): PPO ``MlpPolicy`` and ``CnnPolicy`` (2 pixels a tile) steps per CPU second, 2048 steps.

    taskset -c 0 python benchmarks/bench_image.py
"""

from __future__ import annotations

import statistics
import time

import gymnasium as gym
import numpy as np

import gmg_teach  # noqa: F401  (registers the ids)
from gmg_teach import compile_levels, get_distribution
from gmg_teach.world.image import ImageObservation, encode_images, level_images

REPEATS = 5


def cpu_median(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def batched(n: int = 256, calls: int = 200) -> None:
    tables = compile_levels(get_distribution("diverse").levels(n, seed=0))
    static = level_images(tables)
    rng = np.random.default_rng(0)
    level, tile = np.arange(n), tables.start.astype(np.intp)
    actions = rng.integers(0, 4, size=(calls, n))

    def move():
        for a in actions:
            tables.step(level, tile, a)

    def image():
        for _ in range(calls):
            encode_images(static, level, tile)

    t_move, t_image = cpu_median(move), cpu_median(image)
    t_static = cpu_median(lambda: level_images(tables), repeats=3)
    print(f"batched, {n} agents: move {t_move / calls * 1e3:.3f} ms, image {t_image / calls * 1e3:.3f} ms per call "
          f"(image/move {t_image / t_move:.1f}x); level_images of {n} levels once: {t_static * 1e3:.1f} ms")


def gym_steps(steps: int = 5000) -> None:
    def run(env):
        env.reset(seed=0)
        for t in range(steps):
            _, _, terminated, truncated, _ = env.step(t % 4)
            if terminated or truncated:
                env.reset()

    bare = cpu_median(lambda: run(gym.make("gmg_teach/ColourMaze-train-v0")))
    image = cpu_median(lambda: run(ImageObservation(gym.make("gmg_teach/ColourMaze-train-v0"))))
    print(f"gymnasium: bare env {steps / bare:,.0f} steps/s, ImageObservation {steps / image:,.0f} steps/s "
          f"(ratio {image / bare:.2f}x CPU)")


def sb3(steps: int = 2048) -> None:
    try:
        import torch
        from stable_baselines3 import PPO
    except ImportError:
        print("SB3: not installed (pip install 'gmg-teach[sb3]')")
        return
    torch.set_num_threads(1)
    for policy, k in (("MlpPolicy", 1), ("CnnPolicy", 2)):
        env = ImageObservation(gym.make("gmg_teach/ColourMaze-train-v0"), pixels_per_tile=k)
        model = PPO(policy, env, n_steps=512, batch_size=128, n_epochs=1, seed=0, device="cpu")
        t = cpu_median(lambda: model.learn(steps, reset_num_timesteps=True), repeats=3)
        print(f"SB3 PPO {policy} ({k} pixel(s) a tile): {steps / t:,.0f} steps per CPU second")


if __name__ == "__main__":
    batched()
    gym_steps()
    sb3()
