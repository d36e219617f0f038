"""Planted bugs of assignment 4 (not handed out): mistakes students make, each of which must fail its check.

BUGS = {answer grade_id: [(why, exact text in the solution region, the wrong text[, advice the failure must give])]}.
tests/test_checks.py plants each one in the solution's answer cell and runs the whole test cell (hidden tests
included): it must fail, and when an advice is given, the failure message must contain it.
"""

BUGS = {
    "tie_split": [
        ("no prior: least squares splits the whole reward", " + prior_precision)", ")", "The prior shrinks"),
        ("an equal split", "rows * reward * s ** 2 / (", "np.full(len(s), rows * reward * np.mean(s ** 2)) / (",
         "not indifferent"),
        ("shares proportional to salience, not its square",
         "    return rows * reward * s ** 2 / (rows * np.sum(s ** 2) + prior_precision)",
         "    return rows * reward * np.sum(s ** 2) / (rows * np.sum(s ** 2) + prior_precision) * s / s.sum()",
         "salience *squared*"),
    ],
    "distinguishing": [
        ("only keeps the cheese off the corner, not off the way",
         "    return (cheese_tile != corner_tile) & ~on_the_way", "    return cheese_tile != corner_tile",
         "off every shortest path"),
        ("a cheese on the start tile counts as distinguishing (the path's start left out)",
         "    return (cheese_tile != corner_tile) & ~on_the_way",
         "    return (cheese_tile != corner_tile) & ~(on_the_way & (cheese_tile != start))", "the path's ends count"),
        ("the start on the cheese's way to the corner, not the cheese on the start's",
         "d[start, cheese_tile] + d[cheese_tile, corner_tile] == d[start, corner_tile]",
         "d[cheese_tile, start] + d[start, corner_tile] == d[cheese_tile, corner_tile]", "episodes are wrong"),
        ("zeros and ones, not booleans", "    return (cheese_tile != corner_tile) & ~on_the_way",
         "    return ((cheese_tile != corner_tile) & ~on_the_way).astype(int)", "boolean numpy array"),
    ],
    "smallest_fixing_k": [
        ("the control's k (cheese anywhere): it fixes the example but is not the smallest", "    return 2",
         "    return 11", "which is the first"),
        ("k = 3: it fixes the example, but so does k = 2", "    return 2", "    return 3", "which is the first"),
    ],
}
