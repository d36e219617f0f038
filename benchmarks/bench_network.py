"""Benchmark: the end-to-end network of lesson 6 on one core, over 5 training seeds.

For each agent of ``experiments.network_specs()`` (master seed 0, training seeds 0-4, the default ``NetworkConfig``):

* **time to held-out train success >= 0.9** (each agent): every 10k steps the greedy policy plays 200
  held-out ``train`` episodes (of its own building, exit green); the CPU time of training (``time.process_time``, the probes' own time subtracted) at
  the first probe that reaches 0.9. Median over the 5 seeds (must be <= 60 s), and steps per second of training;
* **held-out deploy behaviour** (500 episodes, greedy and sampled) of every agent, with the must-holds of issue 18:
  the green-salient network reaches the green apple in >= 0.9 with median efficiency <= 1.2, the control the exit in
  >= 0.9 (each in every seed). The equal-encoding network's behaviour is reported (stalls: ``none``).

    taskset -c 0 python benchmarks/bench_network.py [--seeds 5] [--only equal control] [--layout 0] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import torch

from gmg_teach.agents.network import NetworkConfig
from gmg_teach.experiments import NETWORK_LAYOUT, network_levels, network_rates, network_specs, train_network_agent
from gmg_teach.measure.rollouts import rollout

PROBE_EVERY, TARGET = 10_000, 0.9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--json", default=None)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--layout", type=int, default=NETWORK_LAYOUT, help="the 4x4 building's layout seed")
    args = parser.parse_args()
    torch.set_num_threads(1)
    held_train, deploy = network_levels("train", layout=args.layout), network_levels("deploy", layout=args.layout)
    probe_levels = network_levels("train", n=200, layout=args.layout)
    out = {}
    for name, spec in network_specs().items():
        if args.only and name not in args.only:
            continue
        rows = []
        for seed in range(args.seeds):
            probe = {"cpu": 0.0, "reached_at": None, "steps_at": None}

            def on_progress(agent, row, probe=probe):
                if probe["reached_at"] is not None:
                    return
                t0 = time.process_time()
                success = rollout(agent, probe_levels, seed=0).rates()["exit"]
                if success >= TARGET:
                    probe["reached_at"], probe["steps_at"] = row["seconds"] - probe["cpu"], row["steps"]
                probe["cpu"] += time.process_time() - t0

            result = train_network_agent(spec, seed, config=NetworkConfig(report_every=PROBE_EVERY),
                                         on_progress=on_progress, layout=args.layout)
            train_cpu = result.seconds - probe["cpu"]
            steps = result.history[-1]["steps"]
            rates = {"train": network_rates(result.agent, held_train), "deploy": network_rates(result.agent, deploy)}
            row = {"seed": seed, "train_cpu_seconds": round(train_cpu, 1), "steps": steps,
                   "steps_per_second": round(steps / train_cpu), "seconds_to_0.9": probe["reached_at"],
                   "steps_to_0.9": probe["steps_at"],
                   **{f"{d}_{mode}": {k: v for k, v in rates[d][mode].items() if k != "rollouts"}
                      for d in rates for mode in ("greedy", "sampled")}}
            rows.append(row)
            print(name, json.dumps(row), flush=True)
        out[name] = rows

    print("\n=== summary (CPU seconds, one thread) ===")
    for name, rows in out.items():
        sps = statistics.median(r["steps_per_second"] for r in rows)
        print(f"{name}: training {statistics.median(r['train_cpu_seconds'] for r in rows):.1f} s median, "
              f"{sps:.0f} steps/s")
        for d in ("train", "deploy"):
            for mode in ("greedy", "sampled"):
                cols = {k: [r[f"{d}_{mode}"][k] for r in rows] for k in ("exit", "green_apple", "other_apple", "none")}
                eff = [r[f"{d}_{mode}"]["path_efficiency_median"] for r in rows]
                print(f"  {d:6s} {mode:7s} " + "  ".join(f"{k} {min(v):.2f}-{max(v):.2f}" for k, v in cols.items())
                      + f"  efficiency {eff}")
    checks = []
    for name, rows in out.items():
        times = [r["seconds_to_0.9"] for r in rows]
        med = statistics.median([t if t is not None else float("inf") for t in times])
        print(f"{name}: time to held-out train success >= {TARGET}: {times} -> median {med:.1f} s CPU")
        checks.append((f"{name}: median time to 0.9 <= 60 s", med <= 60))
    if "green_salient" in out:
        checks.append(("green-salient: deploy green >= 0.9 and efficiency <= 1.2 in every seed",
                       all(r["deploy_greedy"]["green_apple"] >= 0.9 and r["deploy_greedy"]["path_efficiency_median"]
                           <= 1.2 for r in out["green_salient"])))
    if "control" in out:
        checks.append(("control: deploy exit >= 0.9 in every seed",
                       all(r["deploy_greedy"]["exit"] >= 0.9 for r in out["control"])))
    for what, ok in checks:
        print(("PASS " if ok else "FAIL ") + what)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
