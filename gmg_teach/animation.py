"""An episode as a moving picture: the agent (the triangle marked ``A``) walking its path over the level.

In a notebook, ``HTML(episode_html(level, path))`` (or :func:`animate_episode` and ``.to_jshtml()``) plays it with
buttons and a slider, no extra front end needed. :func:`save_episode_gif` writes a GIF with Pillow, which matplotlib
already depends on. ``path`` is what :meth:`~gmg_teach.measure.rollouts.Rollouts.path` gives: the tiles visited,
start included, for any agent (a learned one, a steered copy, a planner).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation

from .plots.maze import OUTCOME_WORDS, _as_path, _check_level, outcome_of_path, plot_trajectories, tile_to_rc


def animate_episode(level, path, interval_ms: int = 200, figsize=(4.5, 5.2), dpi: int = 72) -> animation.FuncAnimation:
    """A ``FuncAnimation`` of one episode: frame ``t`` shows the agent on ``path[t]`` and the path walked so far.

    Args:
        path: the tiles visited, start included (e.g. ``Rollouts.path(i)``).
        interval_ms: milliseconds between frames (a whole number >= 1).
        dpi: pixels per inch of each frame; lower is a smaller, faster-to-make player.

    The figure is closed right away so a notebook does not also show it as a still image; the animation keeps it.
    """
    level = _check_level(level)
    path = _as_path(level, path)
    if isinstance(interval_ms, bool) or not isinstance(interval_ms, (int, np.integer)) or interval_ms < 1:
        raise ValueError(f"interval_ms must be a whole number of milliseconds >= 1; got {interval_ms!r}.")
    outcome = outcome_of_path(level, path)
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    fig.subplots_adjust(top=0.94, bottom=0.2)
    plot_trajectories(level, path, ax=ax, legend=True)
    walked = next((c for c in ax.collections if c.get_gid() == "path"), None)  # the fading path
    end_mark = [line for line in ax.lines if (line.get_gid() or "").startswith("end ")]
    agent = next(p for p in ax.patches if p.get_gid() == "agent")
    agent_text = next(t for t in ax.texts if t.get_gid() == "agent letter")
    start_xy = agent.get_xy().copy()
    start_rc = level.start

    def draw(frame: int):
        r, c = tile_to_rc(level, path[frame])
        agent.set_xy(start_xy + np.array([c - start_rc[1], r - start_rc[0]], dtype=float))
        agent_text.set_position((c, r + 0.08))
        if walked is not None:  # show only the steps taken so far, fading into the past
            alpha = np.zeros((len(path) - 1, 4))
            alpha[:frame, 3] = np.linspace(0.15, 1.0, frame)
            walked.set_colors(alpha)
        done = frame == len(path) - 1
        for line in end_mark:
            line.set_visible(done)
        ax.set_title(f"step {frame} of {len(path) - 1}" + (f": {OUTCOME_WORDS[outcome]}" if done else ""),
                     fontsize=10)
        return [agent, agent_text, *end_mark] + ([walked] if walked is not None else [])

    anim = animation.FuncAnimation(fig, draw, frames=len(path), interval=interval_ms, blit=False, repeat=False)
    plt.close(fig)
    return anim


def episode_html(level, path, interval_ms: int = 200) -> str:
    """The episode as a self-contained HTML/JavaScript player (works in static HTML exports too)."""
    return animate_episode(level, path, interval_ms).to_jshtml(default_mode="once")


def save_episode_gif(level, path, filename, interval_ms: int = 200) -> str:
    """Write the episode to a GIF file with Pillow; returns the file name."""
    if not animation.writers.is_available("pillow"):
        raise RuntimeError("Saving a GIF needs Pillow: pip install pillow (matplotlib usually brings it).")
    anim = animate_episode(level, path, interval_ms)
    anim.save(str(filename), writer=animation.PillowWriter(fps=max(1, round(1000 / interval_ms))))
    return str(filename)
