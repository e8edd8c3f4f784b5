"""The single place the package version lives (read by hatchling and by the CLI)."""

__version__ = "0.1.0"
