"""Colours, shapes and letters for every object, in one place.

The lesson hinges on "green", and about one man in twelve cannot tell red from green. So every object is drawn in
the colour-blind-safe Okabe-Ito palette *and* marked twice more: its **shape** tells its kind (a square sign for the
exit, a disc for an apple) and its **letter** tells its colour (G, O, Y, B). In the text render the same letter is
upper case for the exit sign and lower case for an apple.

:func:`palette_under_colour_blindness` checks that the four colours stay apart for someone with red-green colour
blindness (a simulation of deuteranopia or protanopia), so a test can hold the palette to it.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Colour(IntEnum):
    """The four object colours. Index order is used in the compiled tables."""

    GREEN = 0
    ORANGE = 1
    YELLOW = 2
    BLUE = 3


class Kind(IntEnum):
    """The two kinds of object. Only the exit pays reward."""

    EXIT = 0
    APPLE = 1


COLOUR_NAMES = {c: c.name.lower() for c in Colour}  # "green", "orange", ...
KIND_NAMES = {k: k.name.lower() for k in Kind}  # "exit", "apple"

# Okabe-Ito (2008): distinguishable under the common forms of colour blindness.
HEX = {
    Colour.GREEN: "#009E73",  # "bluish green"
    Colour.ORANGE: "#E69F00",
    Colour.YELLOW: "#F0E442",
    Colour.BLUE: "#0072B2",
}
RGB = {c: tuple(int(h[i : i + 2], 16) for i in (1, 3, 5)) for c, h in HEX.items()}

# Words for legends: the colour in plain language, never only a swatch.
COLOUR_WORDS = {
    Colour.GREEN: "bluish green",
    Colour.ORANGE: "orange",
    Colour.YELLOW: "yellow",
    Colour.BLUE: "blue",
}

LETTER = {c: COLOUR_NAMES[c][0].upper() for c in Colour}  # G, O, Y, B
COLOUR_BY_LETTER = {letter: c for c, letter in LETTER.items()}

# Shapes as matplotlib marker codes: the kind is readable without any colour at all.
SHAPE = {Kind.EXIT: "s", Kind.APPLE: "o"}
SHAPE_WORDS = {Kind.EXIT: "square sign", Kind.APPLE: "disc"}

WALL_HEX = "#3A3A3A"
FLOOR_HEX = "#FFFFFF"
AGENT_HEX = "#000000"
AGENT_LETTER = "A"


def object_char(kind: Kind, colour: Colour) -> str:
    """The one-character text mark of an object: exit sign upper case, apple lower case."""
    letter = LETTER[colour]
    return letter if kind == Kind.EXIT else letter.lower()


def describe(kind: Kind, colour: Colour) -> str:
    """Plain-language name of an object, e.g. 'bluish green exit sign (G, square)'."""
    noun = "exit sign" if kind == Kind.EXIT else "apple"
    return f"{COLOUR_WORDS[colour]} {noun} ({object_char(kind, colour)}, {SHAPE_WORDS[kind]})"


# --- checking the palette under colour blindness -------------------------------------------------------------------
# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to *linear* RGB.
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])
JUST_NOTICEABLE_DIFFERENCE = 2.3
"""CIE76 Delta E below which two colours look the same to most people."""


def _to_linear(srgb01):
    return np.where(srgb01 <= 0.04045, srgb01 / 12.92, ((srgb01 + 0.055) / 1.055) ** 2.4)


def _to_srgb(linear):
    linear = np.clip(linear, 0, 1)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def _check_rgb(rgb) -> np.ndarray:
    rgb = np.asarray(rgb, dtype=float)
    if rgb.shape[-1:] != (3,) or not np.all((rgb >= 0) & (rgb <= 255)):
        raise ValueError(f"Give colours as 0-255 (red, green, blue) triples; got {rgb.tolist()!r}.")
    return rgb


def simulate_deuteranopia(rgb, matrix: np.ndarray = DEUTERANOPIA) -> np.ndarray:
    """How 0-255 sRGB colours look to someone without green cones (or pass ``PROTANOPIA``): 0-255 sRGB back."""
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (3, 3):
        raise ValueError(f"matrix must be a 3x3 colour-blindness simulation matrix; got shape {matrix.shape}.")
    return _to_srgb(_to_linear(_check_rgb(rgb) / 255.0) @ matrix.T) * 255.0


def lab_distance(rgb_a, rgb_b) -> float:
    """CIE76 colour difference (Delta E) between two 0-255 sRGB colours; about 2.3 is just noticeable."""
    def lab(rgb):
        xyz = _to_linear(_check_rgb(rgb) / 255.0) @ np.array(
            [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
        xyz = xyz / np.array([0.95047, 1.0, 1.08883])
        f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
        return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])

    return float(np.linalg.norm(lab(rgb_a) - lab(rgb_b)))


def palette_under_colour_blindness(matrix: np.ndarray = DEUTERANOPIA) -> dict[tuple[str, str], float]:
    """Delta E between every pair of object colours as seen with the given colour-blindness simulation."""
    seen = {c: simulate_deuteranopia(RGB[c], matrix) for c in Colour}
    colours = list(Colour)
    return {(a.name.lower(), b.name.lower()): lab_distance(seen[a], seen[b])
            for i, a in enumerate(colours) for b in colours[i + 1 :]}
