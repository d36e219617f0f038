"""What the agent sees, and the gymnasium space that declares it.

The agent sees its own tile and, for each object, the object's tile and its visible attributes, kind and colour::

    {"agent": tile, "objects": [[tile, kind, colour], ...]}     tiles numbered row * width + column

Objects are listed in tile order, so an object's place in the list says nothing about what it is (the exit sign is
not always first). Nothing here is a distance or a direction: an agent that wants to get somewhere has to learn the
building's map from its own moves.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from .palette import Colour, Kind

OBJECT_FIELDS = ("tile", "kind", "colour")


def observation_space(n_tiles: int, n_objects: int) -> spaces.Dict:
    """The declared space: ``agent`` in ``Discrete(n_tiles)``, ``objects`` a ``(n_objects, 3)`` MultiDiscrete."""
    return spaces.Dict(
        {
            "agent": spaces.Discrete(n_tiles),
            "objects": spaces.MultiDiscrete(np.tile([n_tiles, len(Kind), len(Colour)], (n_objects, 1))),
        }
    )


def observe(agent_tile, object_tile, object_kind, object_colour) -> tuple[np.ndarray, np.ndarray]:
    """A batch of observations: ``agent (batch,)`` and ``objects (batch, n_objects, 3)`` in tile order."""
    objects = np.stack([object_tile, object_kind, object_colour], axis=-1).astype(np.int64)
    order = np.argsort(objects[..., 0], axis=-1, kind="stable")
    objects = np.take_along_axis(objects, order[..., None], axis=-2)
    return np.asarray(agent_tile, dtype=np.int64), objects
