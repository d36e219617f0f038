"""Planted bugs of assignment 1 (not handed out): mistakes students make, each of which must fail its check.

BUGS = {answer grade_id: [(why, exact text in the solution region, the wrong text[, advice the failure must give])]}.
tests/test_checks.py plants each one in the solution's answer cell and runs the whole test cell (hidden tests
included): it must fail, and when an advice is given, the failure message must contain it.
"""

BUGS = {
    "all_goals_update": [
        ("the max over goals instead of over moves (caught on the first case: 3 tiles, not 4)",
         "target = discount * q[next_tile].max(axis=0)", "target = discount * q[next_tile].max(axis=1)",
         "with an all-zero table of 3 tiles"),
        ("forgets the arrival reward: the hint leads with the first entry that differs, not an array dump",
         "    target[next_tile] = 1.0  # the move arrived at that goal\n", "",
         "learning rate 1, discount 0.9: The first entry that differs is q[0, RIGHT, goal 1]: expected 1, yours is 0."),
    ],
    "choose_move": [
        ("np.argmax: always the first of the tied moves",
         "    return int(rng.choice(tied))", "    return int(np.argmax(value_of_move))", "ALL the tied moves"),
        ("off by one: rng.integers(len(tied) - 1) never draws the last tied move",
         "    return int(rng.choice(tied))",
         "    return int(tied[rng.integers(len(tied) - 1)]) if len(tied) > 1 else int(tied[0])", "ALL the tied moves"),
    ],
    "fit_goal": [
        ("the prior precision used as a variance",
         "precision = X.T @ X + prior_precision * np.eye(X.shape[1])",
         "precision = X.T @ X + np.eye(X.shape[1]) / prior_precision", "Feature by feature"),
    ],
}
