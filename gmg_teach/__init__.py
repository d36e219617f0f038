"""gmg-teach: a hands-on course on goal misgeneralization in reinforcement learning.

Importing the package registers the gymnasium ids (and does no other work)::

    gmg_teach/ColourMaze-train-v0     exit sign green, nothing else green
    gmg_teach/ColourMaze-deploy-v0    exit sign not green, a green apple
    gmg_teach/ColourMaze-diverse-v0   colours independent of kinds
    gmg_teach/ColourMaze-mixture-v0   a fraction alpha (default 0.05) of deploy levels
"""

from gymnasium.envs.registration import register, registry

from .agents.observations import Blind, Cues, Position
from .agents.planning import value_iteration
from .agents.q_learning import QAgent, QLearningConfig, train_q_learning
from .measure.rollouts import rollout
from .world.distributions import Distribution, get_distribution
from .world.env import ColourMazeEnv
from .world.levels import Level, LevelError, parse_level
from .world.tables import compile_levels

__version__ = "0.1.0"

ENV_IDS = {
    "train": "gmg_teach/ColourMaze-train-v0",
    "deploy": "gmg_teach/ColourMaze-deploy-v0",
    "diverse": "gmg_teach/ColourMaze-diverse-v0",
    "mixture": "gmg_teach/ColourMaze-mixture-v0",
}

for _name, _id in ENV_IDS.items():
    if _id not in registry:
        register(
            id=_id,
            entry_point="gmg_teach.world.env:ColourMazeEnv",
            kwargs={"distribution": _name, **({"alpha": 0.05} if _name == "mixture" else {})},
        )

__all__ = [
    "Blind", "ColourMazeEnv", "Cues", "Distribution", "ENV_IDS", "Level", "LevelError", "Position", "QAgent",
    "QLearningConfig", "compile_levels", "get_distribution", "parse_level", "rollout", "train_q_learning",
    "value_iteration",
]
