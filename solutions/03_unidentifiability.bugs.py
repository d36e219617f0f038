"""Planted bugs of assignment 3 (not handed out): mistakes students make, each of which must fail its check.

BUGS = {answer grade_id: [(why, exact text in the solution region, the wrong text[, advice the failure must give])]}.
tests/test_checks.py plants each one in the solution's answer cell and runs the whole test cell (hidden tests
included): it must fail, and when an advice is given, the failure message must contain it.
"""

BUGS = {
    "goal_posterior": [
        ("exp without subtracting the largest score (NaN), numpy floats in the dict: the advice is about the NaN",
         "    weight = np.exp(score - score.max())\n    return dict(zip(names, (weight / weight.sum()).tolist()))",
         "    weight = np.exp(score)\n    return dict(zip(names, weight / weight.sum()))", "NaN means 0/0"),
    ],
    "shaped_reward": [
        ("keeps the potential on the objects' tiles: the hint leads with a floor tile, not an array dump",
         "phi = np.where(terminal, 0.0, np.asarray(potential, dtype=float))", "phi = np.asarray(potential, dtype=float)",
         "discount 0.9: For example, on the floor tile"),
    ],
    "same_optimal_policy": [
        ("compares the best-move sets on all tiles, terminal ones included",
         "return bool(np.array_equal(best_a[playing], best_b[playing]))", "return bool(np.array_equal(best_a, best_b))",
         "Skip the terminal tiles"),
        ("compares one argmax per tile instead of the sets of best moves",
         "    best_a = q_a >= q_a.max(axis=1, keepdims=True) - 1e-6\n    best_b = q_b >= q_b.max(axis=1, keepdims=True) - 1e-6",
         "    best_a = q_a.argmax(axis=1)\n    best_b = q_b.argmax(axis=1)", "not one argmax per tile"),
    ],
}
