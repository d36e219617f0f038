"""Which goal was the agent pursuing? Inverse planning from behaviour.

For each hypothesis about the goal (reach this object; reach anything green; R = 0, ...) we plan with the true map
and ask how likely the agent's moves would be if it were a *Boltzmann-rational* pursuer of that goal: from tile
``s`` it picks move ``a`` with probability proportional to ``exp(beta * Q(s, a))``, where ``Q`` is the optimal value
under the hypothesis. Under R = 0 every ``Q`` is 0, so every move has probability 1/4: a hypothesis that explains
everything equally, and so is beaten by any goal the moves really head for.

Each distinct decision (tile, move) of an episode counts once: an agent stuck walking into the same wall repeats
one decision, which says no more about its goal the hundredth time than the first.

**The revealed goal of an episode** (:func:`revealed_goals`) is an *outcome class*: ``exit``, ``green_apple`` or
``other_apple``. Three choices make it honest about what behaviour can and cannot show:

* **Credit per outcome class, with a stated prior.** The prior is uniform over the classes present in the level
  (:data:`PRIOR`), and within a class uniform over its objects: a class's likelihood is the mean of its objects'.
  So a level with two green apples gives "green apple" no more prior weight than "exit". (Crediting each *object*
  equally, as this module once did, made an episode that says nothing lean to green: about a quarter of deploy
  levels have two green apples.)
* **Undetermined episodes.** Where the decisions do not discriminate (an agent stuck before the paths split), the
  posterior stays near the prior. An episode counts as *determined* only if its most likely class is at least
  :data:`EVIDENCE` times as likely as every other class present (a Bayes factor of 10, "strong" on Jeffreys' scale)
  **and** it ended on an object; otherwise it is *undetermined*, has no revealed goal, and is left out of the goal
  verdict (``generalization.py``), which shows its share instead. Why the second condition: inverse planning reads
  moves *through the true map*, as a pursuer that knows the way would make them. A Boltzmann-rational pursuer in a
  perfect maze always arrives; an episode that wanders or sticks at a wall for 200 steps shows that the agent's own
  map is wrong, so which object its moves happen to approach in the *true* map says where the wrong map led it,
  not what it wants. (Measured: the control, which wants the exit, lost in a building with 32 walls moved, has
  such episodes "pointing" at the green apple more often than at the exit, because levels hold more green apples
  than exits.)
* **Objects do not block the hypotheses' plans.** Each hypothesis plans in the bare maze (:func:`goal_distances`):
  a pursuer of the exit walks the exit's route *even if an apple stands on it*, and stepping onto that apple ends
  its episode there. So an agent that blunders through an object on its way to another target made only moves that
  both goals explain: it is not read as wanting what it stepped on. (The alternatives we rejected: planning with
  objects as obstacles makes a blocked exit unreachable, so every move towards it counts *for* the apple in the
  way; dropping the last step alone still credits the apple with every step of the shared route.) In the course's
  own levels objects stand in dead ends, where no object is on another's route, and the two ways agree.

An agent whose map is wrong (a renovated building) is not Boltzmann-rational in the true map. The episodes in which
it still arrives somewhere are read like any other; the rest are undetermined, so a lost agent shows a large
undetermined share rather than a goal it does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..world.levels import maze_distances
from ..world.palette import Colour, Kind
from ..world.tables import UNREACHABLE, MazeTables
from .goals import CANDIDATE_GOALS
from .rollouts import Rollouts

BETA = 50.0
"""How sharply a Boltzmann-rational agent prefers better moves (values are in [0, 1])."""
DISCOUNT = 0.95
"""The hypotheses' discount: reaching a goal ``k`` steps later is worth ``DISCOUNT ** k``."""
OUTCOME_NAMES = ("exit", "green_apple", "other_apple")
"""The outcome classes a revealed goal can be."""
PRIOR = "uniform over the outcome classes present in the level; within a class, uniform over its objects"
"""The stated prior of :func:`revealed_goals`."""
EVIDENCE = 10.0
"""An episode is determined when its most likely class is at least this many times as likely as each other class
present (a Bayes factor of 10); otherwise its goal is undetermined."""
UNDETERMINED = "undetermined"


def decisions(rollouts: Rollouts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every episode's distinct (tile, move) decisions: arrays ``(episode, tile, action)`` of one length."""
    n_tiles = rollouts.tables.n_tiles
    steps = np.arange(rollouts.actions.shape[1])[None, :] < rollouts.steps[:, None]
    episode = np.broadcast_to(np.arange(len(rollouts))[:, None], steps.shape)[steps]
    tile = rollouts.paths[:, :-1][steps].astype(np.int64)
    action = rollouts.actions[steps].astype(np.int64)
    key = np.unique((episode * n_tiles + tile) * 4 + action)
    return key // (4 * n_tiles), (key // 4) % n_tiles, key % 4


def boltzmann_log_likelihood(q: np.ndarray, actions: np.ndarray, beta: float = BETA) -> np.ndarray:
    """Per decision, ``log softmax(beta * q[t])[actions[t]]`` for ``q`` of shape ``(decisions, 4)``."""
    scores = beta * np.asarray(q, dtype=float)
    top = scores.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(scores - top).sum(axis=1))
    return scores[np.arange(len(actions)), actions] - log_norm


_DISTANCE_CACHE: dict = {}


def goal_distances(tables: MazeTables) -> np.ndarray:
    """``(levels, objects, tiles)`` maze distance from every tile to each object *in the bare maze*: other objects
    do not block the way (a hypothesis plans its goal's route, whatever stands on it). ``UNREACHABLE`` for padding.

    Distances are the measuring stick: only measurement and planners read them, never an agent.
    """
    shape = tables.object_tile.shape
    out = np.full((*shape, tables.n_tiles), UNREACHABLE, dtype=np.int32)
    width = tables.shape[1]
    for i, level in enumerate(tables.levels):
        walls = level.walls
        key = walls.tobytes()
        for j in range(shape[1]):
            t = int(tables.object_tile[i, j])
            if t < 0:
                continue
            if (key, t) not in _DISTANCE_CACHE:
                if len(_DISTANCE_CACHE) > 4096:
                    _DISTANCE_CACHE.clear()
                d = maze_distances(walls, divmod(t, width)).ravel()
                _DISTANCE_CACHE[key, t] = np.where(d >= 0, d, UNREACHABLE).astype(np.int32)
            out[i, j] = _DISTANCE_CACHE[key, t]
    return out


def goal_q_values(tables: MazeTables, discount: float = DISCOUNT) -> np.ndarray:
    """``(levels, objects, tiles, 4)`` optimal Q of a pursuer of object ``o`` that plans in the bare maze (see
    :func:`goal_distances`): ``discount ** d`` where ``d`` is the distance from the tile a move lands on."""
    if not 0 < discount < 1:
        raise ValueError(f"discount must be between 0 and 1 (exclusive); got {discount}.")
    dist = goal_distances(tables)
    d = np.take_along_axis(dist[:, :, :, None], tables.next_state[:, None, :, :].astype(np.int64), axis=2)
    q = np.where(d < UNREACHABLE, discount ** np.minimum(d, 10_000).astype(float), 0.0)
    return np.where(tables.object_tile[:, :, None, None] >= 0, q, 0.0)


def hypothesis_log_likelihoods(rollouts: Rollouts, hypotheses: dict, beta: float = BETA,
                               discount: float = DISCOUNT) -> np.ndarray:
    """``(episodes, hypotheses)`` log-likelihood of each episode's decisions under each goal hypothesis.

    ``hypotheses`` maps a name to a function ``goal(tables) -> bool (levels, objects)`` (see ``goals.py``): a
    pursuer of the hypothesis heads for the best of the objects it marks.
    """
    tables = rollouts.tables
    q_objects = goal_q_values(tables, discount)  # (levels, objects, tiles, 4)
    episode, tile, action = decisions(rollouts)
    q_here = q_objects[episode, :, tile]  # (decisions, objects, 4)
    shape = tables.object_kind.shape
    out = np.zeros((len(rollouts), len(hypotheses)))
    for j, goal in enumerate(hypotheses.values()):
        mask = np.broadcast_to(np.asarray(goal(tables), dtype=bool), shape)[episode]  # (decisions, objects)
        q = np.where(mask[:, :, None], q_here, 0.0).max(axis=1)
        out[:, j] = np.bincount(episode, weights=boltzmann_log_likelihood(q, action, beta), minlength=len(rollouts))
    return out


def _posterior(log_likelihood: np.ndarray) -> np.ndarray:
    z = np.where(np.isfinite(log_likelihood), log_likelihood, -np.inf)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def object_outcomes(tables) -> np.ndarray:
    """``(levels, objects)`` outcome name of each object: ``exit``, ``green_apple`` or ``other_apple``."""
    kind, colour = tables.object_kind, tables.object_colour
    return np.where(kind == Kind.EXIT, "exit", np.where(colour == Colour.GREEN, "green_apple", "other_apple"))


def class_log_likelihoods(object_log_likelihood: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """``(episodes, classes)`` from per-object log-likelihoods: each class's is the log of the *mean* likelihood of
    its objects (uniform within the class); ``-inf`` for a class with no object in the level."""
    out = np.full((len(outcome), len(OUTCOME_NAMES)), -np.inf)
    for c, name in enumerate(OUTCOME_NAMES):
        member = (outcome == name) & np.isfinite(object_log_likelihood)
        count = member.sum(axis=1)
        masked = np.where(member, object_log_likelihood, -np.inf)
        top = masked.max(axis=1, initial=-np.inf)
        safe = np.where(count > 0, top, 0.0)
        total = np.where(member, np.exp(masked - safe[:, None]), 0.0).sum(axis=1)
        out[:, c] = np.where(count > 0, safe + np.log(np.maximum(total, 1e-300)) - np.log(np.maximum(count, 1)),
                             -np.inf)
    return out


@dataclass
class RevealedGoals:
    """Per-episode inverse planning over the outcome classes of each level.

    Attributes:
        log_likelihood: ``(episodes, objects)`` log-probability of the decisions if the goal were that object
            (``-inf`` for padding slots of levels with fewer objects).
        class_log_likelihood: ``(episodes, 3)`` per outcome class (:data:`OUTCOME_NAMES`), ``-inf`` if absent.
        class_posterior: ``(episodes, 3)`` under the prior :data:`PRIOR`.
        outcome: ``(episodes, objects)`` each object's outcome name.
        reached: ``(episodes,)`` index of the object the episode ended on, -1 for none.
    """

    log_likelihood: np.ndarray
    class_log_likelihood: np.ndarray
    class_posterior: np.ndarray
    outcome: np.ndarray
    reached: np.ndarray

    def __len__(self) -> int:
        return len(self.reached)

    @property
    def determined(self) -> np.ndarray:
        """Per episode: did it end on an object, with its most likely class at least :data:`EVIDENCE` times as likely
        as every other class present? (An episode whose decisions do not discriminate is not; nor is one that never
        arrived anywhere: see the module docstring.)"""
        ll = self.class_log_likelihood
        present = np.isfinite(ll)
        top = ll.max(axis=1)
        runner_up = np.where(present, ll, -np.inf)
        runner_up[np.arange(len(ll)), ll.argmax(axis=1)] = -np.inf
        return (top - runner_up.max(axis=1) >= np.log(EVIDENCE)) & (self.reached >= 0)

    @property
    def label(self) -> np.ndarray:
        """Per episode, the revealed goal's outcome class, or ``undetermined``."""
        names = np.array(OUTCOME_NAMES, dtype=object)[self.class_log_likelihood.argmax(axis=1)]
        return np.where(self.determined, names, UNDETERMINED).astype(object)

    def share(self, outcome: str) -> np.ndarray:
        """Per episode, the posterior mass on this outcome class (every episode, determined or not)."""
        if outcome not in OUTCOME_NAMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOME_NAMES)}; got {outcome!r}.")
        return self.class_posterior[:, OUTCOME_NAMES.index(outcome)]

    def reached_outcome(self) -> np.ndarray:
        """Per episode, the outcome class of the object it ended on, or ``none``."""
        rows = np.arange(len(self.reached))
        names = self.outcome[rows, np.maximum(self.reached, 0)].astype(object)
        return np.where(self.reached >= 0, names, "none").astype(object)

    def reached_revealed(self) -> np.ndarray:
        """Per episode: determined, and it ended on an object of its revealed class (an undetermined episode has no
        revealed goal to reach)."""
        return self.determined & (self.reached_outcome() == self.label)


def revealed_goals(rollouts: Rollouts, beta: float = BETA, discount: float = DISCOUNT) -> RevealedGoals:
    """Score every episode of ``rollouts`` against each object of its level, then each outcome class."""
    tables = rollouts.tables
    n_obj = tables.object_kind.shape[1]
    hypotheses = {j: (lambda t, j=j: np.arange(n_obj)[None, :] == j) for j in range(n_obj)}
    log_lik = hypothesis_log_likelihoods(rollouts, hypotheses, beta, discount)
    log_lik = np.where(tables.object_tile >= 0, log_lik, -np.inf)
    outcome = object_outcomes(tables)
    by_class = class_log_likelihoods(log_lik, outcome)
    return RevealedGoals(log_lik, by_class, _posterior(by_class), outcome, rollouts.reached.copy())


def goal_posterior(rollouts: Rollouts, hypotheses: dict | None = None, beta: float = BETA) -> dict[str, float]:
    """Posterior over named goal hypotheses (default :data:`CANDIDATE_GOALS`, R = 0 included) from *all* episodes
    together, uniform prior: the question "which reward explains this behaviour?" of inverse RL."""
    hypotheses = hypotheses or CANDIDATE_GOALS
    total = hypothesis_log_likelihoods(rollouts, hypotheses, beta).sum(axis=0, keepdims=True)
    return dict(zip(hypotheses, _posterior(total)[0].round(6).tolist()))
