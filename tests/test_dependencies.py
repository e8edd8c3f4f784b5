"""Every declared package is used for its job, and every imported package is declared.

Read from the sources as a reviewer would grep them: the third-party modules the package
imports (at any depth, lazily or not) against ``[project] dependencies``, and the same for the
tests against the ``test`` extra.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: distribution name -> the module it installs, where they differ
MODULE_OF = {"pillow": "PIL", "import-linter": "importlinter", "types-aiofiles": None}
#: test tools run as commands or plugins, never imported by a test
TOOLS = {"pytest-timeout", "mypy", "ruff", "import-linter", "types-aiofiles"}


def declared(group: list[str]) -> dict[str, str]:
    """``{module: distribution}`` of a dependency list."""
    modules = {}
    for spec in group:
        name = re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0].strip().lower()
        module = MODULE_OF.get(name, name.replace("-", "_"))
        if module is not None:
            modules[module] = name
    return modules


def imported(folder: Path) -> set[str]:
    """Top-level names of the absolute imports in every ``.py`` file under ``folder``."""
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


def third_party(names: set[str], own: set[str]) -> set[str]:
    return {n for n in names if n not in sys.stdlib_module_names and n not in own}


PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = declared(PROJECT["dependencies"])
TEST = declared(PROJECT["optional-dependencies"]["test"])


def test_every_runtime_dependency_is_imported_and_every_import_declared() -> None:
    """The package imports exactly the runtime dependencies it declares."""
    used = third_party(imported(REPO / "slooh_async"), {"slooh_async"})
    assert used == set(RUNTIME), (
        f"imported but not declared: {sorted(used - set(RUNTIME))}; "
        f"declared but never imported: {sorted(set(RUNTIME) - used)}"
    )


def test_every_test_dependency_is_used_and_every_test_import_declared() -> None:
    """The tests import only what the package or the test extra declares, and every test
    library of the extra is imported somewhere (tools run as commands are exempt)."""
    helpers = {path.stem for path in (REPO / "tests").glob("*.py")}
    used = third_party(imported(REPO / "tests"), {"slooh_async", *helpers})
    available = set(RUNTIME) | set(TEST)
    assert used <= available, f"imported by the tests, not declared: {sorted(used - available)}"
    libraries = {module for module, name in TEST.items() if name not in TOOLS}
    assert libraries <= used, f"declared for the tests, never imported: {libraries - used}"
