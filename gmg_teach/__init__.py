"""gmg-teach: a hands-on course on goal misgeneralization in reinforcement learning.

Importing the package registers the gymnasium ids (and does no other work)::

    gmg_teach/ColourMaze-train-v0     exit sign green, nothing else green
    gmg_teach/ColourMaze-deploy-v0    exit sign not green, a green apple
    gmg_teach/ColourMaze-diverse-v0   colours independent of kinds
    gmg_teach/ColourMaze-mixture-v0   a fraction alpha of deploy levels (alpha=0.05 unless given)
"""

from gymnasium.envs.registration import register, registry

from .agents.goal_model import GoalModel
from .agents.learner import LearnedAgent, LearnerConfig, train_learner
from .agents.navigation import NavigationValues
from .agents.planning import value_iteration
from .measure.rollouts import rollout
from .world.distributions import DEFAULT_MIXTURE_ALPHA, Distribution, get_distribution
from .world.env import ColourMazeEnv
from .world.levels import Action, Level, LevelError, parse_level
from .world.tables import compile_levels

__version__ = "0.3.0"

MAX_EPISODE_STEPS = 200  # the registered TimeLimit (gym.make(id, max_episode_steps=N) changes it)

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
            max_episode_steps=MAX_EPISODE_STEPS,
            kwargs={"distribution": _name, **({"alpha": DEFAULT_MIXTURE_ALPHA} if _name == "mixture" else {})},
        )

GALLERY_IDS = {
    "cheese_in_the_corner": ("gmg_teach/CheeseCorner-v0", "gmg_teach.gallery.cheese:CheeseCornerEnv"),
    "follow_the_leader": ("gmg_teach/FollowTheLeader-v0", "gmg_teach.gallery.leader:FollowTheLeaderEnv"),
    "monster_gridworld": ("gmg_teach/MonsterGridworld-v0", "gmg_teach.gallery.monster:MonsterGridworldEnv"),
}
for _id, _entry in GALLERY_IDS.values():  # lesson 4's gallery (the envs' docstrings are their specs)
    if _id not in registry:
        register(id=_id, entry_point=_entry)

__all__ = [
    "Action", "ColourMazeEnv", "Distribution", "ENV_IDS", "GoalModel", "LearnedAgent", "LearnerConfig", "Level",
    "LevelError", "NavigationValues", "compile_levels", "get_distribution", "parse_level", "rollout",
    "train_learner", "value_iteration",
]
