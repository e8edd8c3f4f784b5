"""Where every picture goes in the library: templates, object names, portable names (pure).

- :mod:`._templates`: placeholders, presets, template validation and rendering;
- :mod:`._objects` and :mod:`._catalogs`: object folder names from titles;
- :mod:`._sanitize`: path components valid on Windows, macOS and Linux alike;
- :mod:`._layout`: :class:`FileOrganizer` (paths, length limit, library statistics);
- :mod:`._moves`: ``name (1).ext`` for duplicates and the move plan of ``slooh reorganize``;
- :mod:`._filenames`: what a Slooh file name tells.

docs/templates.md is the user's guide to all of it.
"""

from __future__ import annotations

from ._catalogs import CATALOGS, Catalog
from ._errors import PathError
from ._filenames import FilenameInfo, filename_from_url, format_of, parse_filename
from ._layout import (
    MIN_FREE_TEXT,
    OTHER_CATALOG,
    PART_SUFFIX,
    UNDATED,
    UNKNOWN_FILTER,
    UNKNOWN_INSTRUMENT,
    UNKNOWN_MISSION,
    UNKNOWN_TELESCOPE,
    FileOrganizer,
    FolderStats,
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
from ._sanitize import (
    FORBIDDEN_CHARACTERS,
    MAX_COMPONENT_BYTES,
    RESERVED_NAMES,
    component_problem,
    path_length,
    sanitize_component,
)
from ._templates import PLACEHOLDERS, PRESET_TEMPLATES, validate_template

__all__ = [
    "CATALOGS",
    "COMET_CATALOG",
    "DEFAULT_OBJECT_PREFERENCE",
    "FORBIDDEN_CHARACTERS",
    "MAX_COMPONENT_BYTES",
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
    "FilenameInfo",
    "FolderStats",
    "Move",
    "PathError",
    "catalog_of",
    "component_problem",
    "exists_except",
    "filename_from_url",
    "format_of",
    "object_name",
    "parse_filename",
    "path_identity",
    "path_length",
    "plan_moves",
    "sanitize_component",
    "unique_path",
    "validate_object_preference",
    "validate_template",
]
