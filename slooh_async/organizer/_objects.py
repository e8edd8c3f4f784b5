"""Object names from picture titles: one folder name per object, whatever the spelling (pure).

Rules, first match wins (docs/templates.md has the full story with real titles):

1. A comet designation anywhere in the title: ``C/2025 A6 (Lemmon)`` -> ``C-2025 A6 (Lemmon)``,
   ``(C2024 E1 Wierzchos)`` -> ``C-2024 E1 (Wierzchos)``,
   ``12P/Pons-Brooks`` -> ``12P (Pons-Brooks)``.
2. Catalog designations (``Messier 43``, ``NGC  3199``, ``Sh 2-155``...), normalized (``M43``,
   ``NGC3199``, ``Sh2-155``) and widened with the Messier and Caldwell cross-indexes; the one
   whose catalog comes first in the preference (then in :data:`CATALOGS` order) wins, ties
   going to the earlier one in the title. ``M66 Group`` names a group, not M66.
3. A solar-system body, alone or with phase words: ``Full Moon`` -> ``Moon``.
4. The title itself as a proper name, without a trailing Bayer or Flamsteed designation in
   parentheses: ``Antares (Alpha Scorpii)`` -> ``Antares``.
5. Otherwise the ``unknown`` name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ._catalogs import CALDWELL_CROSS, CATALOGS, MESSIER_CROSS, Catalog
from ._sanitize import readable, sanitize_component

__all__ = [
    "COMET_CATALOG",
    "DEFAULT_OBJECT_PREFERENCE",
    "SOLAR_SYSTEM_CATALOG",
    "catalog_of",
    "object_name",
    "validate_object_preference",
]

DEFAULT_OBJECT_PREFERENCE: tuple[str, ...] = ("M", "NGC", "IC", "C")
COMET_CATALOG = "Comet"
SOLAR_SYSTEM_CATALOG = "Solar System"

_BY_KEY: dict[str, Catalog] = {catalog.key: catalog for catalog in CATALOGS}
_ALIASES: dict[str, str] = {
    name.casefold(): catalog.key
    for catalog in CATALOGS
    for name in (catalog.key, catalog.title, *catalog.aliases)
}
# Six digits cover every catalog; more would only be a number glued to a prefix.
_NUMBER = r"\d{1,6}"
_DCLD_NUMBER = r"\d{3}\.\d\s*[+-]\s*\d{2}\.\d"


@dataclass(frozen=True)
class _Designation:
    catalog: str
    name: str
    position: int
    group: bool = False


def _catalog_pattern(catalog: Catalog) -> re.Pattern[str]:
    number = _DCLD_NUMBER if catalog.key == "DCLD" else _NUMBER
    # Not glued to a letter or digit on either side: "Mel 25" is not M, "C2024" is not C2024.
    return re.compile(
        rf"(?<![^\W_])(?:{catalog.prefix})\s*(?P<num>{number})(?P<suffix>(?-i:[A-Z])(?![^\W_]))?(?![^\W_])",
        re.IGNORECASE,
    )


_PATTERNS: tuple[tuple[Catalog, re.Pattern[str]], ...] = tuple(
    (catalog, _catalog_pattern(catalog)) for catalog in CATALOGS
)
_GROUP = re.compile(r"\s+Group\b", re.IGNORECASE)

_COMET = re.compile(
    r"""(?<![^\W_])
    (?:(?:(?<=Comet\s)|(?=\d{1,4}[PDI]\s*/))  # "12P/..." or "Comet 12P", never "3D" alone
       (?P<num>\d{1,4})(?P<pkind>[PDI])(?:\s*/\s*(?P<pname>[A-Z][\w'-]*(?:[ -][A-Z][\w'-]*)*))?
      |(?P<kind>[CPDXIA])\s*/\s*(?P<year>\d{4})\s*(?P<code>[A-Z]{1,2}\d{0,4})
      |(?P<kind2>[CP])(?P<year2>(?:19|20)\d{2})\s+(?P<code2>[A-Z]{1,2}\d{1,4}))
    (?![^\W_])
    (?:\s*\((?P<paren>[A-Za-z][^()/]{0,79})\)|\s+(?P<words>[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*))?
    """,
    re.VERBOSE,
)

_GREEK = (
    "alpha|beta|gamma|delta|epsilon|zeta|eta|theta|iota|kappa|lambda|mu|nu|xi|omicron|pi|rho"
    "|sigma|tau|upsilon|phi|chi|psi|omega"
)
# "(Alpha Scorpii)", "(Alpha Centauri C)", "(Upsilon Andromedae A)", "(61 Cygni)"
_STAR_DESIGNATION = re.compile(
    rf"\s*\((?:(?:{_GREEK})(?:[\s-]*\d)?|\d{{1,3}})\s+[a-z]+(?:\s+[a-z]+)?(?:\s+[a-z])?\)$",
    re.IGNORECASE,
)
_BODIES = {
    "mercury": "Mercury", "venus": "Venus", "mars": "Mars", "jupiter": "Jupiter",
    "saturn": "Saturn", "uranus": "Uranus", "neptune": "Neptune", "pluto": "Pluto",
    "moon": "Moon", "luna": "Moon", "sun": "Sun",
}  # fmt: skip
_SOLAR_SYSTEM = re.compile(
    r"(?:the\s+)?(?:(?:full|new|crescent|waxing|waning|gibbous|first|last|third|quarter|half"
    r"|super|blue|blood|harvest|planet|dwarf)\s+)*(?P<body>" + "|".join(_BODIES) + r")",
    re.IGNORECASE,
)


def validate_object_preference(preference: list[str]) -> list[str]:
    """Catalog keys from names or aliases (``"Messier"`` -> ``"M"``), first mention kept.

    Raises ``ValueError`` naming the first unknown catalog.
    """
    keys: list[str] = []
    for name in preference:
        key = _ALIASES.get(str(name).strip().casefold())
        if key is None:
            known = ", ".join(catalog.key for catalog in CATALOGS)
            raise ValueError(f"names unknown catalog {name!r}; known: {known}")
        if key not in keys:
            keys.append(key)
    return keys


def object_name(
    title: str,
    preference: Sequence[str] = DEFAULT_OBJECT_PREFERENCE,
    unknown: str = "Unknown",
) -> str:
    """The folder name of the object a title names (see the module docstring for the rules).

    Always a portable path component; ``unknown`` (sanitized) when the title names nothing.
    """
    name, _ = _resolve(title, _ranking(tuple(preference)))
    return name or sanitize_component(unknown, fallback="Unknown")


def catalog_of(title: str, preference: Sequence[str] = DEFAULT_OBJECT_PREFERENCE) -> str | None:
    """The catalog of :func:`object_name`'s pick (``"Messier"``, ``"NGC"``, ``"Comet"``,
    ``"Solar System"``...), or ``None`` for a proper name or an unknown object."""
    return _resolve(title, _ranking(tuple(preference)))[1]


@lru_cache(maxsize=64)
def _ranking(preference: tuple[str, ...]) -> tuple[str, ...]:
    keys = validate_object_preference(list(preference))
    return (*keys, *(catalog.key for catalog in CATALOGS if catalog.key not in keys))


@lru_cache(maxsize=8192)
def _resolve(title: str, ranking: tuple[str, ...]) -> tuple[str | None, str | None]:
    text = " ".join(unicodedata.normalize("NFC", title).split())
    comet = _comet(text)
    if comet:
        return comet, COMET_CATALOG
    designations = list(_designations(text))
    if designations:
        best = min(_widen(designations), key=lambda d: (ranking.index(d.catalog), d.position))
        return best.name, _BY_KEY[best.catalog].title
    text = _STAR_DESIGNATION.sub("", text) or text
    body = _SOLAR_SYSTEM.fullmatch(text)
    if body:
        return _BODIES[body["body"].lower()], SOLAR_SYSTEM_CATALOG
    return _proper_name(text), None


def _comet(text: str) -> str | None:
    match = _COMET.search(text)
    if match is None:
        return None
    if match["num"]:
        designation = f"{int(match['num'])}{match['pkind']}"
    else:
        kind = match["kind"] or match["kind2"]
        year = match["year"] or match["year2"]
        designation = f"{kind}-{year} {match['code'] or match['code2']}"
    name = match["pname"] or match["paren"] or match["words"]
    full = f"{designation} ({_clean_words(name)})" if name else designation
    return sanitize_component(full)


def _designations(text: str) -> Iterator[_Designation]:
    for catalog, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            number = _number(catalog, match["num"])
            if number is None:
                continue
            name = catalog.display.format(n=number) + (match["suffix"] or "").upper()
            group = _GROUP.match(text, match.end()) is not None
            yield _Designation(
                catalog.key, f"{name} Group" if group else name, match.start(), group
            )


def _number(catalog: Catalog, digits: str) -> str | None:
    if catalog.key == "DCLD":
        return re.sub(r"\s+", "", digits)
    value = int(digits)
    return str(value) if 1 <= value <= catalog.highest else None


def _widen(designations: list[_Designation]) -> Iterator[_Designation]:
    """Each designation plus its cross-index partner (a group has none: M66 Group is not M66)."""
    for found in designations:
        yield found
        partner = None if found.group else _PARTNERS.get(found.name)
        if partner:
            yield _Designation(partner[0], partner[1], found.position)


def _partners() -> dict[str, tuple[str, str]]:
    partners: dict[str, tuple[str, str]] = {}
    for prefix, table in (("M", MESSIER_CROSS), ("C", CALDWELL_CROSS)):
        for number, other in table.items():
            (other_designation,) = _designations(other)
            name = f"{prefix}{number}"
            partners[name] = (other_designation.catalog, other)
            partners[other] = (prefix, name)
    return partners


_PARTNERS = _partners()


def _proper_name(text: str) -> str | None:
    cleaned = sanitize_component(readable(text), fallback="")
    return cleaned or None


def _clean_words(text: str) -> str:
    return " ".join(text.replace("/", "-").split())
