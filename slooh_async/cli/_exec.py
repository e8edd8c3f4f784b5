"""``--exec CMD`` and ``--exec-mission CMD``: a command run after each finished file or mission.

Never through a shell: the template is split into arguments once (``shlex``), and each
placeholder is filled inside its own argument, so a title such as ``M42; rm -rf ~`` stays one
harmless argument. ``{files}`` standing alone as an argument becomes one argument per file.
docs/scripting.md lists the placeholders.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..organizer import PLACEHOLDERS, format_parts

__all__ = [
    "FILE_FIELDS",
    "LIST_FIELDS",
    "MISSION_FIELDS",
    "CommandTemplate",
    "run_command",
    "split_command",
]

log = logging.getLogger("slooh_async.exec")

#: The folder and file-name template placeholders (docs/templates.md), for files and missions
_TEMPLATE_FIELDS = tuple(PLACEHOLDERS)
#: --exec: the template placeholders and where the file is
FILE_FIELDS = frozenset(
    {*_TEMPLATE_FIELDS, "path", "relpath", "dir", "name", "key", "size", "kind", "library",
     "metadata"}
)  # fmt: skip
#: --exec-mission: the mission's placeholders (its first file's names) and its files
MISSION_FIELDS = frozenset(
    {"mission", "object", "telescope", "instrument", "title", "date", "year", "month", "day",
     "catalog", "dir", "library", "count", "failed", "files"}
)  # fmt: skip
#: placeholders that stand for several arguments (only as a whole argument)
LIST_FIELDS = frozenset({"files"})

#: the last lines of a command's output kept for the failure line and the log
_TAIL_LINES = 20

Piece = str | tuple[str]  # literal text, or (placeholder name,)


def split_command(text: str, *, windows: bool | None = None) -> list[str]:
    """The template's arguments, split as the platform's users write them.

    POSIX: shell quoting (``'...'``, ``"..."``, backslash escapes). Windows: backslashes are
    path separators, only double quotes group (``"C:\\Program Files\\x.exe" {path}``).
    """
    windows = os.name == "nt" if windows is None else windows
    if not windows:
        return shlex.split(text)
    words = shlex.split(text, posix=False)
    return [w[1:-1] if len(w) >= 2 and w[0] == w[-1] == '"' else w for w in words]


@dataclass(frozen=True)
class CommandTemplate:
    """A command line with placeholders, split into arguments and checked once."""

    text: str
    arguments: tuple[tuple[Piece, ...], ...]

    @classmethod
    def parse(
        cls, text: str, *, fields: frozenset[str], windows: bool | None = None
    ) -> CommandTemplate:
        """Split and check ``text``; ``ValueError`` with a short reason when it cannot run."""
        try:
            words = split_command(text, windows=windows)
        except ValueError as exc:  # shlex: "No closing quotation"
            raise ValueError(f"cannot be split into arguments ({str(exc).lower()})") from None
        if not words:
            raise ValueError("is empty")
        arguments = tuple(_pieces(word, fields) for word in words)
        if any(isinstance(piece, tuple) for piece in arguments[0]):
            raise ValueError("must start with the program to run, not a placeholder")
        for argument in arguments:
            listed = [p[0] for p in argument if isinstance(p, tuple) and p[0] in LIST_FIELDS]
            if listed and len(argument) != 1:
                raise ValueError(f"must give {{{listed[0]}}} as an argument of its own")
        return cls(text, arguments)

    def render(
        self, values: Mapping[str, str], lists: Mapping[str, Sequence[str]] | None = None
    ) -> list[str]:
        """The arguments with every placeholder filled (``{files}`` spread out)."""
        argv: list[str] = []
        for argument in self.arguments:
            if len(argument) == 1 and isinstance(argument[0], tuple):
                name = argument[0][0]
                if name in LIST_FIELDS:
                    argv.extend((lists or {}).get(name, ()))
                    continue
            argv.append(
                "".join(p if isinstance(p, str) else values.get(p[0], "") for p in argument)
            )
        return argv


def _pieces(word: str, fields: frozenset[str]) -> tuple[Piece, ...]:
    pieces: list[Piece] = []
    for literal, name, spec, conversion in format_parts(word):
        if literal:
            pieces.append(literal)
        if name is None:
            continue
        if name not in fields or spec or conversion:
            known = ", ".join("{" + field + "}" for field in sorted(fields))
            shown = "{}" if not name else "{" + name + "}"
            raise ValueError(f"uses unknown placeholder {shown}; known: {known}")
        pieces.append((name,))
    return tuple(pieces)


def run_command(argv: list[str]) -> str | None:
    """Run ``argv`` to its end (stdin closed, output kept for the log); ``None`` when it
    succeeded, else one line saying how it failed."""
    program = shutil.which(argv[0]) or argv[0]  # PATHEXT on Windows: `stack` finds stack.exe
    try:
        done = subprocess.run(
            [program, *argv[1:]],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
        )
    except FileNotFoundError:
        return f"{argv[0]}: command not found"
    except OSError as exc:
        return f"{argv[0]}: cannot run it ({exc.strerror or exc})"
    lines = done.stdout.decode("utf-8", "replace").splitlines()[-_TAIL_LINES:]
    for line in lines:
        log.info("%s: %s", argv[0], line)
    if done.returncode == 0:
        return None
    last = next((line.strip() for line in reversed(lines) if line.strip()), "")
    how = f"exited with code {done.returncode}" if done.returncode > 0 else "was stopped"
    return f"{argv[0]} {how}" + (f": {last}" if last else "")
