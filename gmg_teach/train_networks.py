"""Make the network agents lesson 6 ships with: ``python -m gmg_teach.train_networks``.

Trains every agent of :func:`gmg_teach.experiments.network_specs` for training seeds 0 to
:data:`~gmg_teach.experiments.NETWORK_SEEDS` - 1 from master seed 0, with the default
:class:`~gmg_teach.agents.network.NetworkConfig`, and writes the weights (float16 ``.npz``, no pickle) and a manifest
(``networks.json``: the config, and each agent's CPU seconds and learning curve) to ``gmg_teach/weights/``. Needs
torch (``pip install 'gmg-teach[network]'``). One core: about half a minute an agent. Same seeds, same weights
(torch on one thread).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from .experiments import NETWORK_SEEDS, NETWORK_WEIGHTS, network_specs, network_weights_path, train_network_agent


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gmg_teach.train_networks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=NETWORK_SEEDS, help="training seeds per agent (default %(default)s)")
    parser.add_argument("--only", nargs="*", default=None, help="agent names to train (default: all)")
    args = parser.parse_args(argv)

    import torch

    from .agents.network import NetworkConfig

    torch.set_num_threads(1)  # reproducible, and what "one core" means
    NETWORK_WEIGHTS.mkdir(exist_ok=True)
    manifest_path = NETWORK_WEIGHTS / "networks.json"
    jobs = [(name, spec, seed_index) for seed_index in range(args.seeds) for name, spec in network_specs().items()
            if not args.only or name in args.only]
    for name, spec, seed_index in jobs:
        result = train_network_agent(spec, seed_index)
        path = result.agent.save(network_weights_path(name, seed_index))
        last = result.history[-1]
        row = {"file": path.name, "cpu_seconds": round(result.seconds, 1),
               "train_success_last": round(last["train_success"], 4), "history": result.history}
        print(f"{name} seed {seed_index}: {result.seconds:.1f} s CPU, train success {last['train_success']:.3f}"
              f" -> {path.name} ({Path(path).stat().st_size // 1024} kB)", flush=True)
        # read, add, write at once: several agents may be trained in parallel processes (--only)
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        manifest.update({"master_seed": 0, "config": asdict(NetworkConfig()), "torch": torch.__version__})
        manifest.setdefault("agents", {})[f"{name}_{seed_index}"] = row
        manifest["agents"] = dict(sorted(manifest["agents"].items()))
        manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
