"""Where every picture goes in the library: templates, object names, portable names (pure).

- :mod:`._templates`: placeholders, presets, template validation and rendering;
- :mod:`._objects` and :mod:`._catalogs`: object folder names from titles;
- :mod:`._sanitize`: path components valid on Windows, macOS and Linux alike;
- :mod:`._layout`: :class:`FileOrganizer` (paths and the length limit);
- :mod:`._moves`: ``name (1).ext`` for duplicates and the move plan of ``slooh reorganize``;
- :mod:`._parts`: the ``.part`` naming rule of unfinished downloads;
- :mod:`._types`: the small protocols it reads pictures and settings through.

Pure: nothing here touches the disk or imports another layer (the engine checks the paths
against the disk).

docs/templates.md is the user's guide to all of it.
"""

from __future__ import annotations

from ._catalogs import CATALOGS, Catalog
from ._errors import PathError
from ._layout import (
    MIN_FREE_TEXT,
    OTHER_CATALOG,
    UNDATED,
    UNKNOWN_FILTER,
    UNKNOWN_INSTRUMENT,
    UNKNOWN_MISSION,
    UNKNOWN_TELESCOPE,
    FileOrganizer,
)
from ._moves import Move, exists_except, path_identity, plan_moves, unique_path
from ._objects import (
    COMET_CATALOG,
    DEFAULT_OBJECT_PREFERENCE,
    SOLAR_SYSTEM_CATALOG,
    catalog_of,
    object_name,
    validate_object_preference,
)
from ._parts import META_SUFFIX, PART_SUFFIX, is_part_name, meta_path, part_path
from ._sanitize import (
    FORBIDDEN_CHARACTERS,
    MAX_COMPONENT_BYTES,
    RESERVED_NAMES,
    component_problem,
    path_length,
    sanitize_component,
)
from ._templates import PLACEHOLDERS, PRESET_TEMPLATES, format_parts, validate_template
from ._types import LayoutSettings, PlacedFile

__all__ = [
    "CATALOGS",
    "COMET_CATALOG",
    "DEFAULT_OBJECT_PREFERENCE",
    "FORBIDDEN_CHARACTERS",
    "MAX_COMPONENT_BYTES",
    "META_SUFFIX",
    "MIN_FREE_TEXT",
    "OTHER_CATALOG",
    "PART_SUFFIX",
    "PLACEHOLDERS",
    "PRESET_TEMPLATES",
    "RESERVED_NAMES",
    "SOLAR_SYSTEM_CATALOG",
    "UNDATED",
    "UNKNOWN_FILTER",
    "UNKNOWN_INSTRUMENT",
    "UNKNOWN_MISSION",
    "UNKNOWN_TELESCOPE",
    "Catalog",
    "FileOrganizer",
    "LayoutSettings",
    "Move",
    "PathError",
    "PlacedFile",
    "catalog_of",
    "component_problem",
    "exists_except",
    "format_parts",
    "is_part_name",
    "meta_path",
    "part_path",
    "object_name",
    "path_identity",
    "path_length",
    "plan_moves",
    "sanitize_component",
    "unique_path",
    "validate_object_preference",
    "validate_template",
]
