"""Figures for the lessons, in two modules:

* :mod:`gmg_teach.plots.maze`: levels, paths, the value map and the policy field an agent learned, decision tiles,
  P(exit | decision tile), goal weights, learning curves and outcome bars;
* :mod:`gmg_teach.plots.results`: the experiment's results (the 2x2 table, the alpha and salience sweeps, the
  posterior over goal weights);
* :mod:`gmg_teach.plots.helps`: Lesson 5 (the uncertain agent's asks, probes).

Every function takes an optional ``ax``, returns it, and never calls ``plt.show()``. The colour-blindness check of
the palette lives with the palette (``gmg_teach.world.palette``).
"""

from .maze import *  # noqa: F401,F403
from .maze import __all__ as _maze_all

try:  # results.py is written alongside; a missing one must not break the maze figures
    from .results import *  # noqa: F401,F403
    from .results import __all__ as _results_all
except ModuleNotFoundError as missing:
    if missing.name != f"{__name__}.results":  # a real import error inside results.py must still show
        raise
    _results_all = []

from .helps import *  # noqa: F401,F403,E402
from .helps import __all__ as _helps_all  # noqa: E402

__all__ = [*_maze_all, *_results_all, *_helps_all]
