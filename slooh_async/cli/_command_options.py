"""The options of the commands: those that download (``download``, ``mission``, ``retry``,
``demo``), ``import-tracker`` and ``export``.

Placeholders read as words (``DATE``, ``N``, ``DIR``) and values are checked with the config
file's words (:mod:`._options`). Module level stays light (typer only).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import typer

from ._options import DATE_HELP, one_of, parse_date, whole

__all__ = [
    "AfterOptions",
    "DemoDestOpt",
    "DemoPicturesOpt",
    "DemoSeedOpt",
    "DryRunOpt",
    "ExportFormat",
    "ExportFormatOpt",
    "ExportOutputOpt",
    "ExecMissionOpt",
    "ExecOpt",
    "FormatChoice",
    "FormatOpt",
    "LegacyRootOpt",
    "LegacyTrackerArg",
    "LimitOpt",
    "MetadataOpt",
    "MissionIdArg",
    "NoFitsOpt",
    "ObjectOpt",
    "RateOpt",
    "SinceOpt",
    "StartOpt",
    "StatusChoice",
    "StatusOpt",
    "TelescopeOpt",
    "ThreadsOpt",
    "UntilOpt",
    "overrides_of",
]


class FormatChoice(StrEnum):
    """File formats the --format filter knows."""

    fits = "fits"
    png = "png"
    jpeg = "jpeg"
    jpg = "jpg"


ThreadsOpt = Annotated[
    int | None,
    typer.Option(
        "--threads", "-t", metavar="N", parser=whole(1, 64), help="Parallel downloads, 1 to 64."
    ),
]
RateOpt = Annotated[
    int | None,
    typer.Option(
        "--rate-limit",
        metavar="N",
        parser=whole(0, 6000),
        help="Requests per minute to the service, downloads included, 0 to 6000 (0: no limit).",
    ),
]
DryRunOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run", "-n", help="Show what would be downloaded and where; change nothing."
    ),
]
NoFitsOpt = Annotated[bool, typer.Option("--no-fits", help="Skip the FITS files of missions.")]


TelescopeOpt = Annotated[
    str | None,
    typer.Option(metavar="NAME", help="Only this telescope (part of its name: 'Chile')."),
]
ObjectOpt = Annotated[
    str | None,
    typer.Option(
        "--object",
        metavar="NAME",
        help="Only this object: a title substring or a designation (M42, NGC 7000).",
    ),
]
FormatOpt = Annotated[
    FormatChoice | None,
    typer.Option(
        "--format",
        metavar="FORMAT",
        parser=one_of(FormatChoice),
        help="Only this format: fits, png or jpeg.",
    ),
]
SinceOpt = Annotated[
    date | None,
    typer.Option(
        metavar="DATE",
        parser=parse_date,
        help=f"Only pictures observed on or after DATE ({DATE_HELP}).",
    ),
]
UntilOpt = Annotated[
    date | None,
    typer.Option(
        metavar="DATE", parser=parse_date, help="Only pictures observed on or before DATE."
    ),
]
LimitOpt = Annotated[
    int | None, typer.Option(metavar="N", parser=whole(1), help="Download at most N files.")
]
StartOpt = Annotated[
    int,
    typer.Option(metavar="N", parser=whole(1), help="Start at photo roll position N (1 = newest)."),
]
MissionIdArg = Annotated[
    int,
    typer.Argument(
        metavar="MISSION_ID", parser=whole(1), help="The mission id (scheduledMissionId)."
    ),
]
DemoDestOpt = Annotated[
    Path,
    typer.Option(
        "--dest", "-d", metavar="DIR", help="Where to put the demo library.", file_okay=False
    ),
]
DemoPicturesOpt = Annotated[
    int,
    typer.Option(
        metavar="N", parser=whole(1, 5000), help="Pictures in the fake catalog, 1 to 5000."
    ),
]
DemoSeedOpt = Annotated[
    int,
    typer.Option(metavar="N", parser=whole(0), help="Catalog seed (same seed, same catalog)."),
]


def _command_parser(option: str, mission: bool) -> Callable[[str], str]:
    """Checks an ``--exec`` template when the command line is read (placeholders, quotes)."""

    def parse(text: str) -> str:
        from ._exec import FILE_FIELDS, MISSION_FIELDS, CommandTemplate

        try:
            CommandTemplate.parse(text, fields=MISSION_FIELDS if mission else FILE_FIELDS)
        except ValueError as exc:
            raise typer.BadParameter(f"{text!r} {exc}") from None
        return text

    return parse


class AfterOptions(NamedTuple):
    """What runs after each finished file or mission (``--exec``, ``--exec-mission``)."""

    exec_file: str | None = None
    exec_mission: str | None = None


MetadataOpt = Annotated[
    bool | None,
    typer.Option(
        "--write-metadata/--no-write-metadata",
        help="Write a JSON sidecar for each downloaded file (download.write_metadata).",
    ),
]
ExecOpt = Annotated[
    str | None,
    typer.Option(
        "--exec",
        metavar="CMD",
        parser=_command_parser("--exec", mission=False),
        help="Run CMD after each downloaded file, e.g. --exec 'solve-field {path}'. "
        "Placeholders: {path} {relpath} {dir} {name} {key} {object} {mission} {date}... "
        "(docs/scripting.md).",
    ),
]
ExecMissionOpt = Annotated[
    str | None,
    typer.Option(
        "--exec-mission",
        metavar="CMD",
        parser=_command_parser("--exec-mission", mission=True),
        help="Run CMD after each mission whose files are all downloaded, e.g. "
        "--exec-mission 'stack.sh {dir} {files}'. Placeholders: {mission} {object} {dir} "
        "{files} {count}...",
    ),
]


def overrides_of(
    dest: Path | None,
    threads: int | None,
    rate_limit: int | None,
    write_metadata: bool | None = None,
) -> dict[str, Any]:
    """The settings a command's own options set (``None``: not given, lower sources apply)."""
    return {
        "folders.base_path": str(dest) if dest else None,
        "download.threads": threads,
        "download.rate_limit": rate_limit,
        "download.write_metadata": write_metadata,
    }


# --------------------------------------------------------------------------- import-tracker, export

LegacyTrackerArg = Annotated[
    Path,
    typer.Argument(
        metavar="PATH",
        help="The legacy download_tracker.json.",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]
LegacyRootOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--legacy-root",
        metavar="DIR",
        help="Where the old library is now (repeatable).",
        file_okay=False,
    ),
]


class ExportFormat(StrEnum):
    """Export file formats."""

    csv = "csv"
    json = "json"


class StatusChoice(StrEnum):
    """Record statuses."""

    done = "done"
    failed = "failed"
    pending = "pending"


ExportFormatOpt = Annotated[
    ExportFormat,
    typer.Option(
        "--format", "-f", metavar="FORMAT", parser=one_of(ExportFormat), help="csv or json."
    ),
]
ExportOutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", metavar="FILE", help="File to write (default: stdout).", dir_okay=False
    ),
]
StatusOpt = Annotated[
    StatusChoice | None,
    typer.Option(
        metavar="STATUS",
        parser=one_of(StatusChoice),
        help="Only records with this status: done, failed, pending.",
    ),
]
