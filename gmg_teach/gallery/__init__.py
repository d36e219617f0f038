"""Lesson 4's gallery: the literature's other goal-misgeneralization examples, each a small world trained live.

One module per example, each with its gymnasium env (the class docstring is its spec) and its experiment;
:mod:`gmg_teach.gallery.run` trains and measures them all (``gmg-teach gallery``).
"""
