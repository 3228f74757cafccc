"""Every example in the package's docstrings runs and prints what it says (``doctest``), one test per module.

Examples marked ``# doctest: +SKIP`` write into the working folder or need an optional dependency; the rest
run on the bundled or synthetic data.
"""

import doctest
import importlib
import pkgutil

import pytest

import missmodal

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def modules_with_examples() -> list[str]:
    names = [missmodal.__name__] + [m.name for m in pkgutil.walk_packages(missmodal.__path__, missmodal.__name__ + ".")
                                    if not m.name.endswith("__main__")]
    finder = doctest.DocTestFinder()
    return [name for name in names if any(t.examples for t in finder.find(importlib.import_module(name)))]


@pytest.mark.parametrize("name", modules_with_examples())
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in doctest.DocTestFinder().find(importlib.import_module(name)):
        runner.run(test, out=lambda text: print(text, end=""))
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name} (see the output above)"


def test_the_examples_are_found():
    assert len(modules_with_examples()) >= 20
