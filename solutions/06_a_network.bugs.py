"""Planted bugs of assignment 6 (not handed out): mistakes students make, each of which must fail its check.

BUGS = {answer grade_id: [(why, exact text in the solution region, the wrong text[, advice the failure must give])]}.
tests/test_checks.py plants each one in the solution's answer cell and runs the whole test cell (hidden tests
included): it must fail, and when an advice is given, the failure message must contain it.
"""

BUGS = {
    "masked_policy": [
        ("exp without subtracting the row's largest logit: logits of 1000 overflow to NaN",
         "    shifted = shifted - shifted.max(axis=1, keepdims=True)\n", "", "NaN means 0/0"),
    ],
    "ppo_clip_loss": [
        ("min instead of max: the optimistic bound, not PPO's pessimistic one",
         "np.maximum(-advantage * ratio, -advantage * clipped)", "np.minimum(-advantage * ratio, -advantage * clipped)",
         "take the larger of the two negated terms"),
    ],
    "ablate_channel": [
        ("zeroes the rows (hidden units) instead of the channel's columns",
         "w[:, c * n_tiles:(c + 1) * n_tiles] = 0.0", "w[c * n_tiles:(c + 1) * n_tiles] = 0.0",
         "all rows: every hidden unit"),
    ],
}
