"""Each gallery example's agents train in at most 5 s on one core (median CPU time over training seeds).

    taskset -c 0 python benchmarks/bench_gallery.py [--seeds N]

CPU time (``time.process_time``) of training only, at the full budget of ``gmg-teach gallery``; the machine's load
is printed beside it, since a shared machine slows wall time but CPU time much less.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from gmg_teach.gallery import cheese, leader, monster


def timed(train) -> float:
    started = time.process_time()
    train()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    seeds = range(args.seeds)
    cw, lw = cheese.building(0), leader.building(0)
    cc, lc, mc = cheese.CheeseConfig(), leader.LeaderConfig(), monster.MonsterConfig()
    agents = {
        "cheese, k = 1 (misgeneralizing)": lambda s: cheese.train(cw, 1, s, cc.episodes),
        "cheese, k = 11 (control)": lambda s: cheese.train(cw, cheese.FULL, s, cc.episodes),
        "leader, expert (misgeneralizing)": lambda s: leader.train(lw, "expert", s, lc.episodes),
        "leader, random (control)": lambda s: leader.train(lw, "random", s, lc.episodes),
        "monster, 25 steps (misgeneralizing)": lambda s: monster.train(monster.SHORT, s, mc.short_episodes),
        "monster, 200 steps (control)": lambda s: monster.train(monster.LONG, s, mc.long_episodes),
    }
    print(f"load average {os.getloadavg()[0]:.1f}; CPU seconds per agent, median over {args.seeds} seeds")
    worst = 0.0
    for name, train in agents.items():
        times = [timed(lambda: train(s)) for s in seeds]
        median = statistics.median(times)
        worst = max(worst, median)
        print(f"  {name:40} median {median:5.2f} s  (min {min(times):.2f}, max {max(times):.2f})")
    print(f"slowest median {worst:.2f} s: {'within' if worst <= 5 else 'OVER'} the 5 s budget")


if __name__ == "__main__":
    main()
