"""Benchmark: how long one agent (navigation plus goal) takes to train, and how long the whole headline experiment takes.

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
    print(f"full experiment ({len(report['agents'])} agents x {report['config']['n_seeds']} seeds, "
          f"{len(report['alpha_sweep'])}-point alpha sweep, {len(report['salience_sweep'])}-point salience sweep, "
          f"learning curve, 2x2 table, {report['config']['eval_episodes']} held-out episodes per distribution): "
          f"{wall:.1f} s")


if __name__ == "__main__":
    main()
