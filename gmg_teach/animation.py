"""An episode as a moving picture: the agent (the triangle marked ``A``) walking its path over the level.

In a notebook, ``HTML(episode_html(level, path))`` shows it as an animated GIF embedded in the page: no JavaScript,
no fonts or scripts fetched from the internet, so it plays offline, in static HTML exports and in viewers that
strip scripts. (:func:`animate_episode` gives the matplotlib animation itself, for ``.to_jshtml()``'s player with
buttons, which loads its button icons from a CDN.) :func:`save_episode_gif` writes the GIF to a file, with Pillow,
which matplotlib already depends on. ``path`` is what :meth:`~gmg_teach.measure.rollouts.Rollouts.path` gives: the tiles visited,
start included, for any agent (a learned one, a steered copy, a planner).
"""

from __future__ import annotations

import base64
import html
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation

from .plots.maze import OUTCOME_WORDS, _as_path, _check_level, outcome_of_path, plot_trajectories, tile_to_rc


def animate_episode(level, path, interval_ms: int = 200, figsize=(4.6, 6.4), dpi: int = 80,
                    hold_end: int = 0) -> animation.FuncAnimation:
    """A ``FuncAnimation`` of one episode: frame ``t`` shows the agent on ``path[t]`` and the path walked so far.

    Args:
        path: the tiles visited, start included (e.g. ``Rollouts.path(i)``).
        interval_ms: milliseconds between frames (a whole number >= 1).
        dpi: pixels per inch of each frame; lower is a smaller, faster-to-make player.
        hold_end: show the last frame this many extra times (a pause on the outcome before a GIF loops).

    The figure is closed right away so a notebook does not also show it as a still image; the animation keeps it.
    """
    level = _check_level(level)
    path = _as_path(level, path)
    if isinstance(interval_ms, bool) or not isinstance(interval_ms, (int, np.integer)) or interval_ms < 1:
        raise ValueError(f"interval_ms must be a whole number of milliseconds >= 1; got {interval_ms!r}.")
    if isinstance(hold_end, bool) or not isinstance(hold_end, (int, np.integer)) or hold_end < 0:
        raise ValueError(f"hold_end must be a whole number of frames >= 0; got {hold_end!r}.")
    outcome = outcome_of_path(level, path)
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    fig.subplots_adjust(top=0.95, bottom=0.3, left=0.03, right=0.97)
    plot_trajectories(level, path, ax=ax, legend=True, legend_columns=1)
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

    frames = list(range(len(path))) + [len(path) - 1] * int(hold_end)
    anim = animation.FuncAnimation(fig, draw, frames=frames, interval=interval_ms, blit=False, repeat=False)
    plt.close(fig)
    return anim


def save_episode_gif(level, path, filename, interval_ms: int = 200, hold_end: int = 6) -> str:
    """Write the episode to a GIF file with Pillow (it loops, pausing ``hold_end`` frames on the outcome); returns
    the file name."""
    if not animation.writers.is_available("pillow"):
        raise RuntimeError("Saving a GIF needs Pillow: pip install pillow (matplotlib usually brings it).")
    anim = animate_episode(level, path, interval_ms, hold_end=hold_end)
    _write_gif(anim, filename, interval_ms)
    return str(filename)


def _write_gif(anim: animation.FuncAnimation, filename, interval_ms: int) -> None:
    """Draw the animation's frames by blitting (the maze is drawn once, then only what moves), and save a GIF.

    Several times faster than ``anim.save`` with ``PillowWriter``, which redraws the whole figure for every frame.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    fig = anim._fig
    canvas = FigureCanvasAgg(fig)
    moving = anim._func(0)  # the artists each frame changes (agent, its letter, end mark, path)
    title = fig.axes[0].title
    for artist in [*moving, title]:
        artist.set_animated(True)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    images = []
    for frame in anim._save_seq if getattr(anim, "_save_seq", None) else list(anim.new_saved_frame_seq()):
        anim._func(frame)
        canvas.restore_region(background)
        for artist in [*moving, title]:
            if artist.get_visible():
                fig.draw_artist(artist)
        images.append(Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3]).quantize(colors=64))
    images[0].save(str(filename), save_all=True, append_images=images[1:], duration=int(interval_ms), loop=0)


def episode_html(level, path, interval_ms: int = 200, hold_end: int = 6) -> str:
    """The episode as an ``<img>`` holding an animated GIF (base64 in the page): it plays offline, in static HTML
    exports and where scripts are stripped, and fetches nothing from the internet."""
    handle, name = tempfile.mkstemp(suffix=".gif")
    os.close(handle)
    try:
        save_episode_gif(level, path, name, interval_ms, hold_end)
        with open(name, "rb") as gif:
            data = base64.b64encode(gif.read()).decode("ascii")
    finally:
        os.remove(name)
    steps = len(_as_path(level, path)) - 1
    words = html.escape(f"The agent's {steps} steps, then: {OUTCOME_WORDS[outcome_of_path(level, path)]}.")
    return f'<img src="data:image/gif;base64,{data}" alt="{words}" title="{words}">'

