"""Planted bugs of assignment 5 (not handed out): mistakes students make, each of which must fail its check.

BUGS = {answer grade_id: [(why, exact text in the solution region, the wrong text[, advice the failure must give])]}.
tests/test_checks.py plants each one in the solution's answer cell and runs the whole test cell (hidden tests
included): it must fail, and when an advice is given, the failure message must contain it.
"""

BUGS = {
    "best_probabilities": [
        ("shares of ties split among the tied objects: the advice says every tied object is best",
         "    return best.mean(axis=0)", "    return (best / best.sum(axis=1, keepdims=True)).mean(axis=0)",
         "are *all* best"),
        ("counts instead of shares", "    return best.mean(axis=0)", "    return best.sum(axis=0)",
         "not counts"),
    ],
    "ask_or_act": [
        ("asks at exactly the confidence (<= instead of <)", "if best.mean(axis=0).max() < confidence:",
         "if best.mean(axis=0).max() <= confidence:", "exactly `confidence` is enough"),
        ("returns True instead of -1 to ask", "        return -1", "        return True", "Return an int"),
        ("acts on the object most often best, not the highest mean", "    return int(np.argmax(value.mean(axis=0)))",
         "    return int(np.argmax(best.mean(axis=0)))", "highest mean reward"),
        ("acts on one sample, not the mean", "    return int(np.argmax(value.mean(axis=0)))",
         "    return int(np.argmax(value[0]))", "highest mean reward"),
    ],
    "design_probe": [
        ("a training level: the advice reports what the answer did",
         "        #O..A..g#", "        #G..A..o#", "Which pair of objects"),
    ],
}
