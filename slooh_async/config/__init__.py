"""Settings: the validated, frozen models and the layered loader that builds them.

Sources, lowest to highest: defaults, the JSON config file, the environment (``SLOOH_*``),
then command-line options. docs/configuration.md documents every key.
"""

from __future__ import annotations

from .._exceptions import ConfigError
from ._errors import closest, describe_error, show_value
from ._load import ENV_ALIASES, LoadedSettings, load_settings, schema, validate_settings
from ._settings import (
    FORMATS,
    SECTIONS,
    DownloadSettings,
    FolderSettings,
    GallerySettings,
    Settings,
    SloohSettings,
    TrackerSettings,
)
from ._sources import (
    KEYRING_SERVICE,
    OTHER_ENV,
    SOURCE_CLI,
    SOURCE_DEFAULT,
    SOURCE_ENV,
    SOURCE_KEYRING,
    RawSettings,
    default_config_path,
    keyring_password,
    option_value,
    read_config_file,
    store_keyring_password,
    unknown_key_warnings,
    write_config_file,
)

__all__ = [
    "ENV_ALIASES",
    "FORMATS",
    "KEYRING_SERVICE",
    "OTHER_ENV",
    "SECTIONS",
    "SOURCE_CLI",
    "SOURCE_DEFAULT",
    "SOURCE_ENV",
    "SOURCE_KEYRING",
    "ConfigError",
    "DownloadSettings",
    "FolderSettings",
    "GallerySettings",
    "LoadedSettings",
    "RawSettings",
    "Settings",
    "SloohSettings",
    "TrackerSettings",
    "closest",
    "default_config_path",
    "describe_error",
    "keyring_password",
    "load_settings",
    "option_value",
    "read_config_file",
    "schema",
    "show_value",
    "store_keyring_password",
    "unknown_key_warnings",
    "validate_settings",
    "write_config_file",
]
