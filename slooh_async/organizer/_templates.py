"""Folder and file name templates: placeholders, presets, validation and rendering (pure).

A template is ``str.format`` text. Every placeholder value is text, so the string format spec
applies (``{mission:>08}``, ``{title:.40}``). A folder template is split at ``/`` *before*
rendering and each piece is rendered and sanitized on its own, so a value can never add a folder
or climb out of one: ``a/b`` in a title stays inside one name.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ._sanitize import FORBIDDEN_CHARACTERS, component_problem

__all__ = [
    "PLACEHOLDERS",
    "PRESET_TEMPLATES",
    "CompiledTemplate",
    "Field",
    "compile_template",
    "format_parts",
    "render_component",
    "validate_template",
]

TemplateKind = Literal["folder", "filename"]

#: Every placeholder and what it stands for (docs/templates.md shows real examples).
PLACEHOLDERS: dict[str, str] = {
    "object": "the object's folder name from the title: M42, NGC7000, Moon, C-2025 A6 (Lemmon)",
    "telescope": "the telescope: Canary Two, Chile One ('Unknown telescope' when missing)",
    "instrument": "the instrument: CCD Imager ('Unknown instrument' when missing)",
    "format": "the format folder from folders.format_names: FITS, Pictures, JPEG",
    "filename": "the file's own name, from the download URL",
    "title": "the title, made readable (':' -> ' ', '/' -> '-'): Comet C-2025 A6 (Lemmon)",
    "date": "UTC observation date, YYYY-MM-DD ('undated' when unknown)",
    "year": "UTC observation year, YYYY ('undated' when unknown)",
    "month": "UTC observation month, MM ('undated' when unknown)",
    "day": "UTC observation day of month, DD ('undated' when unknown)",
    "type": "image type: FITS, Luminance, RGB, Narrowband, Mono, Other",
    "filter": "filter from the file name: L, R, G, B, Ha, OIII, SII, Mono, LRGB ('Unknown filter')",
    "mission": "the mission id ('0' when missing)",
    "image_id": "the image id (a FITS frame without one: its file's unique id)",
    "catalog": "catalog of {object}: Messier, NGC, IC, Caldwell, Comet, Solar System, Other",
}

#: Folder templates chosen by ``folders.organize_by`` when ``folders.template`` is not set.
PRESET_TEMPLATES: dict[str, str] = {
    "object": "{object}/{telescope}/{format}",
    "date": "{year}/{date}/{object}/{format}",
    "telescope": "{telescope}/{object}/{format}",
}

# A width or precision above one component's length only makes names longer than allowed.
_MAX_SPEC_NUMBER = 255
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class Field:
    """One ``{name:spec}`` of a template."""

    name: str
    spec: str = ""


Piece = str | Field
#: A template as components (folders, or the one file name), each a sequence of pieces.
CompiledTemplate = tuple[tuple[Piece, ...], ...]


def validate_template(template: str, *, kind: TemplateKind) -> None:
    """Raise ``ValueError`` with a short reason when ``template`` cannot be used.

    Rejected: unknown placeholders, conversions (``!r``), bad or nested format specs, unbalanced
    braces, absolute paths, ``\\``, empty, ``.`` or ``..`` folders, literal text that is not
    valid in a file name on every OS; for ``kind="filename"``, any ``/`` and a template with
    neither ``{filename}`` nor ``{image_id}`` (it could not give each picture its own name).
    An empty folder template is accepted: it means "use the ``organize_by`` preset".
    """
    compile_template(template, kind=kind)


def compile_template(template: str, *, kind: TemplateKind) -> CompiledTemplate:
    """The validated template split into components (see :func:`validate_template`)."""
    if kind == "folder" and template == "":
        return ()
    _check_text(template, kind)
    components = _components(_pieces(template), kind)
    for component in components:
        _check_component(component)
    if kind == "filename" and not _uses(components, {"filename", "image_id"}):
        raise ValueError("must include {filename} or {image_id} so every picture gets its own name")
    return components


def render_component(component: tuple[Piece, ...], values: Mapping[str, str]) -> str:
    """One component with its placeholders filled (not yet sanitized)."""
    return "".join(
        piece if isinstance(piece, str) else format(values[piece.name], piece.spec)
        for piece in component
    )


def _check_text(template: str, kind: TemplateKind) -> None:
    if kind == "folder" and (template.startswith(("/", "\\", "~")) or _DRIVE.match(template)):
        raise ValueError("must be relative to base_path (no leading '/', '\\', '~' or drive)")
    if kind == "filename" and ("/" in template or "\\" in template):
        raise ValueError("must not contain '/' or '\\' (folders belong in folders.template)")
    if "\\" in template:
        raise ValueError("must separate folders with '/', not '\\' (the same on every OS)")
    if not template.strip():
        raise ValueError("must not be empty")


FormatPart = tuple[str, str | None, str | None, str | None]


def format_parts(text: str) -> list[FormatPart]:
    """``str.format`` text as ``(literal, name, spec, conversion)`` parts; ``ValueError``
    with the words a user reads when its braces do not pair (templates and ``--exec``)."""
    try:
        return list(string.Formatter().parse(text))
    except ValueError:
        raise ValueError("has unbalanced braces (write {{ or }} for a literal brace)") from None


def _pieces(template: str) -> list[Piece]:
    pieces: list[Piece] = []
    for literal, name, spec, conversion in format_parts(template):
        if literal:
            pieces.append(literal)
        if name is not None:
            pieces.append(_field(name, spec or "", conversion))
    return pieces


def _field(name: str, spec: str, conversion: str | None) -> Field:
    shown = (
        "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
    )
    if name not in PLACEHOLDERS:
        known = ", ".join("{" + key + "}" for key in sorted(PLACEHOLDERS))
        what = "an empty placeholder" if name == "" else f"unknown placeholder {shown}"
        raise ValueError(f"uses {what}; known: {known}")
    if conversion:
        raise ValueError(f"must not use a conversion like !{conversion} in {shown}")
    if "{" in spec or "}" in spec:
        raise ValueError(f"must not nest placeholders in a format spec: {shown}")
    try:
        format("text", spec)
    except ValueError:
        raise ValueError(
            f"has an invalid format spec in {shown} "
            "(values are text: use fill, align, width, .precision)"
        ) from None
    if any(int(number) > _MAX_SPEC_NUMBER for number in re.findall(r"\d+", spec)):
        raise ValueError(f"has a width or precision above {_MAX_SPEC_NUMBER} in {shown}")
    return Field(name, spec)


def _components(pieces: list[Piece], kind: TemplateKind) -> CompiledTemplate:
    components: list[list[Piece]] = [[]]
    for piece in pieces:
        if isinstance(piece, Field) or kind == "filename":
            components[-1].append(piece)
            continue
        first, *rest = piece.split("/")
        if first:
            components[-1].append(first)
        components.extend([text] if text else [] for text in rest)
    return tuple(tuple(component) for component in components)


def _check_component(component: tuple[Piece, ...]) -> None:
    if not component:
        raise ValueError("has an empty folder name ('//' or a trailing '/')")
    literal = "".join(piece for piece in component if isinstance(piece, str))
    bad = sorted(ch for ch in set(literal) if ch in FORBIDDEN_CHARACTERS or ord(ch) < 32)
    if bad:
        raise ValueError(f"contains {bad[0]!r}, which is not allowed in file names on Windows")
    if all(isinstance(piece, str) for piece in component):
        if literal.strip() in {".", ".."}:
            raise ValueError(f"must not contain {literal.strip()!r} as a folder")
        problem = component_problem(literal)
        if problem:
            raise ValueError(f"has a folder name {literal!r} that {problem}")


def _uses(components: CompiledTemplate, names: set[str]) -> bool:
    return any(isinstance(p, Field) and p.name in names for c in components for p in c)
