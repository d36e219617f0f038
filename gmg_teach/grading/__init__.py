"""Graded exercises: build student notebooks from solutions, report check results, grade a class.

- ``feedback``: the pass line / hint protocol that exercise checks use (``report``).
- ``build``: ``solutions/*.ipynb`` (nbgrader format) -> ``exercises/*.ipynb``, never overwriting a human's edits.
- ``grader``: run every submission's cells in its own sandboxed kernel and the instructor's tests in the grader's
  process (``remote``: the kernel only answers calls of the student's functions, as plain data); write a gradebook
  and feedback.
- ``commands``: the ``gmg-teach build-exercises`` and ``gmg-teach grade`` subcommands.

Nothing is imported here, so that ``import gmg_teach.grading.feedback`` stays cheap inside a student's kernel.
"""
