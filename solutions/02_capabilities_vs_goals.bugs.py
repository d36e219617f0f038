"""Planted bugs of assignment 2 (not handed out): mistakes students make, each of which must fail its check.

BUGS = {answer grade_id: [(why, exact text in the solution region, the wrong text[, advice the failure must give])]}.
tests/test_checks.py plants each one in the solution's answer cell and runs the whole test cell (hidden tests
included): it must fail, and when an advice is given, the failure message must contain it.
"""

_LOG_PROBABILITY = ("    log_probability = scores[np.arange(len(pairs)), pairs[:, 1]] - np.logaddexp.reduce(scores, axis=1)\n"
                    "    return float(log_probability.sum())")

BUGS = {
    "decision_log_likelihood": [
        ("a naive softmax (overflows to NaN), returned as a numpy float: the advice is about the overflow",
         _LOG_PROBABILITY,
         "    exp = np.exp(scores)\n"
         "    log_probability = np.log(exp[np.arange(len(pairs)), pairs[:, 1]] / exp.sum(axis=1))\n"
         "    return log_probability.sum()", "overflows"),
        ("counts repeated decisions, returned as a numpy float: the advice is about distinct decisions",
         "    pairs = np.unique(np.stack([np.asarray(tiles, dtype=int), np.asarray(actions, dtype=int)], axis=1), axis=0)",
         "    pairs = np.stack([np.asarray(tiles, dtype=int), np.asarray(actions, dtype=int)], axis=1)",
         "each distinct (tile, move) counts once"),
        ("counts each tile once, keeping one move per tile (two different moves from one tile are two decisions)",
         "    pairs = np.unique(np.stack([np.asarray(tiles, dtype=int), np.asarray(actions, dtype=int)], axis=1), axis=0)",
         "    pairs = np.stack([np.asarray(tiles, dtype=int), np.asarray(actions, dtype=int)], axis=1)\n"
         "    pairs = pairs[np.unique(pairs[:, 0], return_index=True)[1]]", "each distinct (tile, move) counts once"),
    ],
    "classify_cell": [
        ("the median efficiency of all episodes (np.nanmedian), not of those at their revealed goal",
         "median = float(np.median(efficiencies)) if len(efficiencies) else None",
         "median = float(np.nanmedian(path_efficiency)) if len(efficiencies) else None",
         "over the episodes that reached their revealed goal only"),
        ("the median efficiency of all episodes, never None (as a new student wrote it)",
         "median = float(np.median(efficiencies)) if len(efficiencies) else None",
         "median = float(np.nanmedian(np.asarray(path_efficiency, dtype=float)))", "or None"),
        ("never returns None: 1.0 when no episode reached its revealed goal",
         "median = float(np.median(efficiencies)) if len(efficiencies) else None",
         "median = float(np.median(efficiencies)) if len(efficiencies) else 1.0", "pass None to classify"),
        ("the mean efficiency, not the median",
         "median = float(np.median(efficiencies)) if len(efficiencies) else None",
         "median = float(np.mean(efficiencies)) if len(efficiencies) else None"),
        ("shares averaged over every episode, the undetermined ones included",
         "np.asarray(revealed_share[outcome], dtype=float)[shown]", "np.asarray(revealed_share[outcome], dtype=float)",
         "over the determined episodes only"),
        ("zero shares instead of None when no episode is determined",
         "    shares = None\n", "    shares = {outcome: 0.0 for outcome in OUTCOME_NAMES}\n", "pass None as the shares"),
    ],
    "noisy_rates": [
        ("hands epsilon to the agent's own exploration (a uniformly random move, not a slip of the chosen one)",
         "        moves = np.asarray(self.agent.act(agent_tile, objects, rng, level=level))\n"
         "        slips = rng.random(len(moves)) < self.epsilon\n",
         "        return self.agent.act(agent_tile, objects, rng, self.epsilon, level=level)\n"
         "        slips = rng.random(len(moves)) < self.epsilon\n", "quarter turn left or right"),
        ("the hand always slips a quarter to the right (never to the left)",
         "        turn = np.where(rng.random(len(moves)) < 0.5, 1, 3)  # a quarter to the right, or to the left\n",
         "        turn = 1  # a quarter to the right\n", "always to the same side"),
        ("does not pass `level` on to the agent (a planner cannot tell which level an episode plays)",
         "        moves = np.asarray(self.agent.act(agent_tile, objects, rng, level=level))\n",
         "        moves = np.asarray(self.agent.act(agent_tile, objects, rng))\n", "level"),
        ("ignores the seed it is given",
         "played = rollout(ShakyHand(agent, epsilon), tables, seed=seed)",
         "played = rollout(ShakyHand(agent, epsilon), tables, seed=0)", "pass `seed` on to rollout"),
    ],
}
