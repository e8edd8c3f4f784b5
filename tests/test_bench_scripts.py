"""The bench scripts still start, and take from the package only names it exports.

Nothing else runs them (a bench takes minutes), so a change to the package could leave them
broken until someone wants figures: a name moved to another layer, a private module renamed.
Here each script with a command line prints its ``--help`` in a child process (all at once:
about a second), a script without one is imported, and every ``slooh_async`` import in the
scripts, at any depth (the lazy ones inside functions that ``--help`` never reaches), must
name a public module and a name in its ``__all__``. ``make lint`` type-checks them.
"""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
SCRIPTS = sorted(BENCH.glob("*.py"))


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(module, names)`` of every absolute import in ``path`` (``names`` empty for
    ``import module``), wherever it is: at the top or inside a function."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def _has_command_line(path: Path) -> bool:
    """Whether the script parses its arguments with argparse (so ``--help`` prints them)."""
    return any(module == "argparse" for module, _ in _imports(path))


COMMANDS = [path for path in SCRIPTS if _has_command_line(path)]
MODULES = [path for path in SCRIPTS if not _has_command_line(path)]


@pytest.fixture(scope="module")
def helps() -> dict[str, subprocess.CompletedProcess[str]]:
    """``python bench/NAME.py --help`` of every script with a command line, run concurrently
    from the repository's root with this interpreter and this checkout's package."""
    paths = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(path.relative_to(REPO)), "--help"]
        return subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=30
        )

    with ThreadPoolExecutor(max_workers=len(COMMANDS)) as pool:
        return dict(zip((p.name for p in COMMANDS), pool.map(run, COMMANDS), strict=True))


def test_the_scripts_are_found() -> None:
    assert len(COMMANDS) >= 8 and BENCH / "run_all.py" in COMMANDS
    assert BENCH / "_harness.py" in MODULES and BENCH / "bare_download.py" in MODULES


@pytest.mark.parametrize("name", [path.name for path in COMMANDS])
def test_script_prints_its_help(
    name: str, helps: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    result = helps[name]
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, output
    assert result.stdout.startswith(f"usage: {name}"), output
    assert "-h, --help" in result.stdout, output


@pytest.mark.parametrize("name", [path.stem for path in MODULES])
def test_script_without_command_line_imports(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    sys.modules.pop(name, None)
    try:
        module = importlib.import_module(name)
        assert module.__file__ == str(BENCH / f"{name}.py")
    finally:
        sys.modules.pop(name, None)


def _private(module: str) -> bool:
    """A private module: a dotted part with a leading underscore (``__main__`` is not)."""
    return any(
        part.startswith("_") and not (part.startswith("__") and part.endswith("__"))
        for part in module.split(".")
    )


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.name)
def test_script_takes_only_public_names(path: Path) -> None:
    problems = []
    for module_name, names in _imports(path):
        if module_name.split(".")[0] != "slooh_async":
            continue
        if _private(module_name):
            problems.append(f"{module_name} is a private module")
            continue
        module = importlib.import_module(module_name)
        exported = set(getattr(module, "__all__", ()))
        for name in names:
            if name not in exported:
                problems.append(f"{module_name}.{name} is not in its __all__")
            elif not hasattr(module, name):
                problems.append(f"{module_name}.{name} is exported but does not load")
    assert not problems, f"{path.name}: " + "; ".join(problems)
