"""Packages of the wheel: every ``gmg_teach*`` package, plus the course as package data.

notebooks/ and exercises/ at the top of the repository are the sources of the lessons and the exercises; they are
mapped to ``gmg_teach/course_files/notebooks`` and ``gmg_teach/course_files/exercises`` in the wheel (which files: pyproject's
``package-data``). solutions/ is not mapped, so solutions and hidden tests never ship (tests/test_packaging.py reads
the built wheel). Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

COURSE = {"gmg_teach.course_files.notebooks": "notebooks", "gmg_teach.course_files.exercises": "exercises"}

setup(packages=find_packages(include=["gmg_teach", "gmg_teach.*"]) + list(COURSE), package_dir=COURSE)
