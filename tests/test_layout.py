"""The package's organising rule, checked: a lecture-agnostic core, one module per lecture,
the core never importing a lecture module, and the docs naming exactly the modules that exist."""
from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys

import pytest

import lecture_utils
from lecture_utils import data
from lecture_utils.course import CORE_MODULES, LECTURES
from lecture_utils.models import MODEL_CLASSES

from .conftest import ROOT

PACKAGE = ROOT / "lecture_utils"
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
LECTURE_MODULE = re.compile(r"^l(\d\d)_\w+$")


def imported_modules(module: str) -> set[str]:
    """The package modules ``module`` imports anywhere in its code (top level or inside functions)."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            absolute = node.level == 0 and (node.module or "").startswith("lecture_utils")
            if node.level == 1 or absolute:
                base = (node.module or "").removeprefix("lecture_utils").lstrip(".")
                if base:
                    found.add(base.split(".")[0])
                else:  # from . import a, b
                    found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("lecture_utils."):
                    found.add(alias.name.split(".")[1])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "lecture_utils." in arg.value:
                    found.add(arg.value.split(".")[1])
    return found & set(MODULES)


def test_every_module_is_core_or_belongs_to_one_lecture():
    lecture_modules = sorted(item.module for item in LECTURES)
    assert not set(CORE_MODULES) & set(lecture_modules), "a module is both core and a lecture's"
    assert sorted(MODULES) == sorted(CORE_MODULES + tuple(lecture_modules)), (
        "every module of lecture_utils is either listed in course.CORE_MODULES or is a lecture's module")
    for item in LECTURES:
        match = LECTURE_MODULE.match(item.module)
        assert match and int(match[1]) == item.number, f"lecture {item.number}'s module is named {item.module}"
    assert not any(LECTURE_MODULE.match(name) for name in CORE_MODULES)


@pytest.mark.parametrize("module", CORE_MODULES)
def test_no_core_module_imports_a_lecture_module(module):
    lectures = {name for name in imported_modules(module) if LECTURE_MODULE.match(name)}
    assert not lectures, f"the core module {module} imports lecture module(s) {sorted(lectures)}"


def test_the_import_check_sees_every_form_of_import(tmp_path, monkeypatch):
    """The checker above must not be blind: each way of importing a lecture module is caught."""
    sources = ["from .l06_sentiment import x", "from . import l01_theory", "import lecture_utils.l02_min_char_rnn",
               "from lecture_utils.l05_char_lm import y", "def f():\n    from .l03_binary_adder import z",
               "importlib.import_module('lecture_utils.l04_names')"]
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path)
    for index, source in enumerate(sources):
        (tmp_path / f"probe{index}.py").write_text(source)
        assert {name for name in imported_modules(f"probe{index}") if LECTURE_MODULE.match(name)}, source


def test_importing_the_whole_core_loads_no_lecture_module():
    code = ("import sys, importlib\n"
            f"for name in {list(CORE_MODULES)!r}: importlib.import_module('lecture_utils.' + name)\n"
            "import re; print(sorted(m for m in sys.modules if re.match(r'lecture_utils\\.l\\d\\d_', m)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout


def test_the_package_docstring_names_exactly_the_modules_that_exist():
    named = set(re.findall(r":mod:`~lecture_utils\.(\w+)`", lecture_utils.__doc__))
    assert named == set(MODULES), f"missing: {sorted(set(MODULES) - named)}, stale: {sorted(named - set(MODULES))}"


def test_the_readme_layout_names_exactly_the_modules_that_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("\n## Layout", 1)[1].split("\n## ", 1)[0]
    listed = {"core": [], "lectures": []}
    key = None
    for line in layout.splitlines():
        match = re.match(r"^\s+(core|lectures):\s*(.*)$", line)
        if match:
            key = match[1]
            listed[key] += match[2].split()
        elif key and re.match(r"^\s{10,}\S", line):  # a continuation line of the same list
            listed[key] += line.split()
        else:
            key = None
    assert listed["core"] == list(CORE_MODULES)
    assert listed["lectures"] == [item.module for item in LECTURES]


def test_the_manifest_names_real_datasets_notebooks_and_models():
    for item in LECTURES:
        assert (ROOT / item.path).is_file(), item.path
        assert set(item.datasets) <= set(data.REGISTRY), item.datasets
        importlib.import_module(f"lecture_utils.{item.module}")
        for key in item.models:
            importlib.import_module(key.split(":")[0])
            assert key in MODEL_CLASSES, key
