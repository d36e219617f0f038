"""Benchmark: how long one agent takes to train, and how long the whole headline experiment takes.

Prints, per agent of the experiment, the median training time over its seeds (the training run that reaches the
thresholds checked in tests/test_experiment.py), then the wall time of the full `gmg-teach demo` budget, measured
in this process. Run it on an otherwise idle machine; pin it to one core with `taskset -c 0` for the one-core figure.

    taskset -c 0 python benchmarks/bench_experiment.py
"""

from __future__ import annotations

import time

from gmg_teach.experiments import ExperimentConfig, run_experiment


def main():
    started = time.perf_counter()
    report = run_experiment(ExperimentConfig())
    wall = time.perf_counter() - started
    print(f"{'agent':<24}{'median train s':>16}{'min':>8}{'max':>8}")
    for name, agent in report["agents"].items():
        per_seed = agent["train_seconds_per_seed"]
        print(f"{name:<24}{agent['train_seconds']:>16.3f}{min(per_seed):>8.3f}{max(per_seed):>8.3f}")
    print(f"full experiment (5 agents x {report['config']['n_seeds']} seeds, {len(report['alpha_sweep'])}-point "
          f"alpha sweep, {report['config']['eval_levels']} held-out levels per distribution): {wall:.1f} s")


if __name__ == "__main__":
    main()
