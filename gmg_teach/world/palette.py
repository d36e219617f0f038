"""Colours, shapes and letters for every object, in one place.

The lesson hinges on "green", and about one man in twelve cannot tell red from green. So every object is drawn in
the colour-blind-safe Okabe-Ito palette *and* marked twice more: its **shape** tells its kind (a square sign for the
exit, a disc for an apple) and its **letter** tells its colour (G, O, Y, B). In the text render the same letter is
upper case for the exit sign and lower case for an apple.
"""

from __future__ import annotations

from enum import IntEnum


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
