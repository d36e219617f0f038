"""Text and pixel pictures of a level, without pygame.

Both marks every object three ways: colour (Okabe-Ito), shape or case (square sign / disc; upper / lower case)
and the letter of its colour (G, O, Y, B), so nothing depends on telling colours apart.
"""

from __future__ import annotations

import numpy as np

from .levels import Level
from .palette import AGENT_HEX, FLOOR_HEX, LETTER, RGB, WALL_HEX, Colour, Kind, describe

TILE = 24  # pixels per tile in rgb_frame

# 5x7 bitmaps for the letters drawn on objects and the agent.
_FONT = {
    "G": ["01110", "10001", "10000", "10111", "10001", "10001", "01110"],
    "O": ["01110", "10001", "10001", "10001", "10001", "10001", "01110"],
    "Y": ["10001", "10001", "01010", "00100", "00100", "00100", "00100"],
    "B": ["11110", "10001", "10001", "11110", "10001", "10001", "11110"],
    "A": ["01110", "10001", "10001", "11111", "10001", "10001", "10001"],
}


def ascii_frame(level: Level, agent: tuple[int, int] | None = None) -> str:
    """The level as text with the agent drawn as 'A' (as at the start), and a legend naming every object in words."""
    rows = [list(line) for line in level.to_ascii().replace("A", ".").splitlines()]
    if agent is not None:
        rows[agent[0]][agent[1]] = "A"
    legend = ["A = agent"] + [describe(o.kind, o.colour) for o in level.objects]
    return "\n".join("".join(r) for r in rows) + "\n" + "; ".join(legend) + "\n"


def _hex(h: str) -> np.ndarray:
    return np.array([int(h[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)


def _letter(img: np.ndarray, top: int, left: int, char: str, colour: np.ndarray) -> None:
    bitmap = np.array([[c == "1" for c in row] for row in _FONT[char]])
    big = np.kron(bitmap, np.ones((2, 2), dtype=bool))  # 10 x 14 pixels
    h, w = big.shape
    r0, c0 = top + (TILE - h) // 2, left + (TILE - w) // 2
    img[r0 : r0 + h, c0 : c0 + w][big] = colour


def rgb_frame(level: Level, agent: tuple[int, int] | None = None) -> np.ndarray:
    """An RGB picture (uint8, ``TILE`` pixels a tile): walls dark, exit a square sign, apples discs, agent black."""
    h, w = level.shape
    img = np.empty((h * TILE, w * TILE, 3), dtype=np.uint8)
    img[:] = _hex(FLOOR_HEX)
    wall = np.kron(level.walls, np.ones((TILE, TILE), dtype=bool))
    img[wall] = _hex(WALL_HEX)
    yy, xx = np.mgrid[0:TILE, 0:TILE] + 0.5
    disc = (yy - TILE / 2) ** 2 + (xx - TILE / 2) ** 2 <= (TILE * 0.45) ** 2
    square = (np.abs(yy - TILE / 2) <= TILE * 0.42) & (np.abs(xx - TILE / 2) <= TILE * 0.42)
    black, white = _hex("#000000"), _hex("#FFFFFF")
    for obj in level.objects:
        r, c = obj.position
        cell = img[r * TILE : (r + 1) * TILE, c * TILE : (c + 1) * TILE]
        cell[square if obj.kind == Kind.EXIT else disc] = np.array(RGB[obj.colour], dtype=np.uint8)
        if obj.kind == Kind.EXIT:  # a dark frame makes the sign a sign, whatever its colour
            cell[square & ~((np.abs(yy - TILE / 2) <= TILE * 0.34) & (np.abs(xx - TILE / 2) <= TILE * 0.34))] = black
        ink = white if obj.colour == Colour.BLUE else black  # keep the letter readable on dark blue
        _letter(img, r * TILE, c * TILE, LETTER[obj.colour], ink)
    if agent is not None:
        r, c = agent
        cell = img[r * TILE : (r + 1) * TILE, c * TILE : (c + 1) * TILE]
        triangle = (yy >= TILE * 0.1) & (np.abs(xx - TILE / 2) <= (yy - TILE * 0.1) * 0.55) & (yy <= TILE * 0.9)
        cell[triangle] = _hex(AGENT_HEX)
        _letter(img, r * TILE + 3, c * TILE, "A", white)
    return img
