"""Portable path components: one set of rules on every OS (pure functions).

A library copied from Linux to Windows or macOS must stay valid, so the strictest rules of the
three apply everywhere: Windows' forbidden characters and reserved device names, no trailing dots
or spaces, 255 bytes per component (ext4's limit; it is also within NTFS's and APFS's 255
UTF-16 units), and Unicode NFC so one title gives the same bytes on every machine.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "FORBIDDEN_CHARACTERS",
    "MAX_COMPONENT_BYTES",
    "RESERVED_NAMES",
    "component_problem",
    "path_length",
    "readable",
    "sanitize_component",
    "truncate_bytes",
]

#: Characters Windows refuses in a file name (``/`` and ``\\`` also separate folders).
FORBIDDEN_CHARACTERS = frozenset('/\\:*?"<>|')
MAX_COMPONENT_BYTES = 255

#: Windows device names: refused as a name, and also with any extension (``CON.txt``).
RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3"}
)

# Bidirectional overrides can make "gpj.exe" display as "exe.jpg": never worth keeping.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_SPACES = re.compile(r" {2,}")
#: ASCII that _map_char would change: controls, DEL and the forbidden characters
_UNSAFE_ASCII = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|\t]')
# Friendlier than "_" in names people read: "RA: 23.1" -> "RA 23.1", "C/2025" -> "C-2025".
_READABLE = (
    (re.compile(r"\s*:\s*"), " "),
    (re.compile(r"\s*[/\\|]\s*"), "-"),
    (re.compile(r'"'), "'"),
    (re.compile(r"[*?<>\x00-\x1f\x7f-\x9f]"), ""),
)


def sanitize_component(
    text: str,
    *,
    fallback: str = "_",
    max_bytes: int | None = MAX_COMPONENT_BYTES,
) -> str:
    """``text`` made into one file or folder name that is valid on Windows, macOS and Linux.

    Forbidden characters (``/ \\ : * ? " < > |``), control characters and lone surrogates
    become ``_``; whitespace runs become one space; bidi controls are dropped; leading and
    trailing dots and spaces go (no hidden names, no ``.``/``..``, nothing Windows trims);
    a reserved device name gets ``_`` after its base (``CON.txt`` -> ``CON_.txt``); the result
    is NFC and at most ``max_bytes`` UTF-8 bytes (``None``: no limit). Empty -> ``fallback``.
    The function is idempotent.
    """
    if text.isascii() and not _UNSAFE_ASCII.search(text):
        cleaned = text  # the common case: nothing to map, and ASCII is already NFC
    else:
        cleaned = unicodedata.normalize("NFC", "".join(_map_char(ch) for ch in text))
    cleaned = _SPACES.sub(" ", cleaned).strip(" .")
    if max_bytes is not None:
        cleaned = truncate_bytes(cleaned, max_bytes).strip(" .")
    cleaned = _unreserve(cleaned)
    return cleaned or fallback


def readable(text: str) -> str:
    """``text`` with the characters :func:`sanitize_component` would turn into ``_`` replaced
    the way a person would: ``:`` by a space, ``/ \\ |`` by ``-``, ``"`` by ``'``; ``* ? < >``
    and control characters dropped; separators left at the ends go too (``../../etc`` ->
    ``etc``, not ``-..-etc``). Not a sanitizer on its own."""
    for pattern, replacement in _READABLE:
        text = pattern.sub(replacement, text)
    return text.strip("-_. ")


def truncate_bytes(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` that is at most ``max_bytes`` in UTF-8 (whole characters)."""
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", "ignore")


def path_length(text: str) -> int:
    """Length as Windows counts it for MAX_PATH: UTF-16 code units (an emoji counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def component_problem(name: str) -> str | None:
    """Why ``name`` is not a portable file or folder name, or ``None`` when it is."""
    if not name or name.strip(" .") == "":
        return "is empty or only dots and spaces"
    bad = sorted({ch for ch in name if ch in FORBIDDEN_CHARACTERS or _is_control(ch)})
    if bad:
        return f"contains {bad[0]!r}, which is not allowed in file names on Windows"
    if name != name.strip(" ") or name.endswith("."):
        return "starts or ends with a space, or ends with a dot"
    if name.startswith("."):
        return "starts with a dot (a hidden name)"
    if _is_reserved(name):
        return f"uses the reserved Windows name {_base(name)!r}"
    if unicodedata.normalize("NFC", name) != name:
        return "is not in Unicode NFC form"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_COMPONENT_BYTES:
        return f"is longer than {MAX_COMPONENT_BYTES} bytes"
    return None


def _map_char(ch: str) -> str:
    if ch in _BIDI_CONTROLS:
        return ""
    if ch.isspace():
        return " "
    if ch in FORBIDDEN_CHARACTERS or _is_control(ch):
        return "_"
    return ch


def _is_control(ch: str) -> bool:
    # Cc: C0/C1 controls and DEL; Cs: lone surrogates, which no file system can encode.
    return unicodedata.category(ch) in {"Cc", "Cs"}


def _base(name: str) -> str:
    # Windows checks the part before the first dot, ignoring trailing spaces ("CON .txt").
    return name.split(".", 1)[0].rstrip(" ")


def _is_reserved(name: str) -> bool:
    return _base(name).upper() in RESERVED_NAMES


def _unreserve(name: str) -> str:
    if not _is_reserved(name):
        return name
    base = _base(name)
    return base + "_" + name[len(base) :]
