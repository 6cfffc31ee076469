"""The Procfile's long-running processes run with `python -OO`: without docstrings, each holds
about 4.5 MB less (bench/memory.py). What that takes of the code is checked here."""

from __future__ import annotations

import subprocess
import sys

from tests.procfile import ROOT, options_of, python_options

PACKAGES = ("bot", "handlers", "storage", "content")


def test_the_services_drop_docstrings_and_share_their_options() -> None:
    assert "-OO" in python_options()
    assert options_of("worker") == options_of("web")


def test_every_module_imports_without_docstrings_or_asserts() -> None:
    """A module that reads a docstring as it loads (``f.__doc__.split()``) would fail only in
    production: import them all as the Procfile's processes do."""
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {PACKAGES!r}:\n"
        "    package = importlib.import_module(name)\n"
        "    for module in pkgutil.walk_packages(package.__path__, name + '.'):\n"
        "        if not module.name.endswith('__main__'):\n"
        "            importlib.import_module(module.name)\n"
        "assert False, 'asserts are kept'\n"  # -O drops it: the options took effect
        "print(sys.flags.optimize, sys.modules['bot'].__doc__ is None)\n"
    )
    done = subprocess.run(
        [sys.executable, *python_options(), "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2", "True"]
