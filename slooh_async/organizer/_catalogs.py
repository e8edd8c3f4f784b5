"""Catalog data: the catalogs a title may cite, and the Messier and Caldwell cross-indexes.

The cross-indexes let one object keep one folder whatever designation a title uses:
``Messier 42``, ``NGC 1976`` and ``Orion Nebula (M42)`` are the same object, and so are
``Caldwell 109`` and ``NGC 3195``. Both tables are the standard published identifications
(Messier: 110 objects, Caldwell: 109, checked against two independent public copies).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CALDWELL_CROSS", "CATALOGS", "MESSIER_CROSS", "Catalog"]


@dataclass(frozen=True)
class Catalog:
    """One catalog: its key (used in ``object_preference``), how titles write it, how we do."""

    key: str
    title: str
    #: regular expression of the prefix as titles write it (matched case-insensitively)
    prefix: str
    #: how the normalized designation is written; ``{n}`` is the number
    display: str
    aliases: tuple[str, ...] = ()
    #: the highest valid number, so ``M200`` or ``C2024`` is not taken for a designation
    highest: int = 99_999


#: Every catalog recognised in titles, in the default ranking order (after the preference).
CATALOGS: tuple[Catalog, ...] = (
    Catalog("M", "Messier", r"Messier|M", "M{n}", ("Messier",), 110),
    Catalog("NGC", "NGC", r"NGC", "NGC{n}", ("New General Catalogue",), 7840),
    Catalog("IC", "IC", r"IC", "IC{n}", ("Index Catalogue",), 5386),
    Catalog("C", "Caldwell", r"Caldwell|C", "C{n}", ("Caldwell",), 109),
    Catalog(
        "Sh2",
        "Sharpless",
        r"Sh\s*2\s*-?|Sharpless(?:\s*2\s*-)?",
        "Sh2-{n}",
        ("Sh", "Sharpless"),
        313,
    ),
    Catalog("B", "Barnard", r"Barnard|B", "B{n}", ("Barnard",), 370),
    Catalog("Mel", "Melotte", r"Melotte|Mel\.?", "Mel{n}", ("Melotte",), 245),
    Catalog("Cr", "Collinder", r"Collinder|Cr\.?|Col\.?", "Cr{n}", ("Collinder", "Col"), 471),
    Catalog("Abell", "Abell", r"Abell|ACO", "Abell {n}", ("ACO",)),
    Catalog("Arp", "Arp", r"Arp", "Arp {n}", (), 338),
    Catalog("Hickson", "Hickson", r"Hickson|HCG", "Hickson {n}", ("HCG",), 100),
    Catalog("vdB", "van den Bergh", r"vdB|van\s+den\s+Bergh", "vdB{n}", ("van den Bergh",), 159),
    Catalog("LDN", "Lynds Dark Nebula", r"LDN", "LDN {n}", ("Lynds",)),
    Catalog("LBN", "Lynds Bright Nebula", r"LBN", "LBN {n}"),
    Catalog("UGC", "UGC", r"UGC", "UGC {n}"),
    Catalog("PGC", "PGC", r"PGC", "PGC {n}"),
    Catalog("Trumpler", "Trumpler", r"Trumpler|Tr\.?", "Trumpler {n}", ("Tr",), 37),
    Catalog("Stock", "Stock", r"Stock", "Stock {n}", (), 24),
    Catalog("Hogg", "Hogg", r"Hogg", "Hogg {n}", (), 22),
    Catalog("Palomar", "Palomar", r"Palomar|Pal\.?", "Palomar {n}", ("Pal",), 15),
    Catalog("Bennett", "Bennett", r"Bennett", "Bennett {n}", (), 152),
    # Hartley's catalogue of southern dark clouds: a designation is galactic coordinates
    Catalog("DCLD", "DCLD", r"DCLD", "DCLD {n}", ("Hartley",)),
)

#: Messier number -> the other designation of the same object (NGC, IC or Melotte).
#: M24 (a star cloud) and M40 (a double star) have none. M102 follows Slooh, which calls
#: M102 the Spindle Galaxy: NGC 5866.
MESSIER_CROSS: dict[int, str] = {
    1: "NGC1952", 2: "NGC7089", 3: "NGC5272", 4: "NGC6121", 5: "NGC5904",
    6: "NGC6405", 7: "NGC6475", 8: "NGC6523", 9: "NGC6333", 10: "NGC6254",
    11: "NGC6705", 12: "NGC6218", 13: "NGC6205", 14: "NGC6402", 15: "NGC7078",
    16: "NGC6611", 17: "NGC6618", 18: "NGC6613", 19: "NGC6273", 20: "NGC6514",
    21: "NGC6531", 22: "NGC6656", 23: "NGC6494", 25: "IC4725",
    26: "NGC6694", 27: "NGC6853", 28: "NGC6626", 29: "NGC6913", 30: "NGC7099",
    31: "NGC224", 32: "NGC221", 33: "NGC598", 34: "NGC1039", 35: "NGC2168",
    36: "NGC1960", 37: "NGC2099", 38: "NGC1912", 39: "NGC7092",
    41: "NGC2287", 42: "NGC1976", 43: "NGC1982", 44: "NGC2632", 45: "Mel22",
    46: "NGC2437", 47: "NGC2422", 48: "NGC2548", 49: "NGC4472", 50: "NGC2323",
    51: "NGC5194", 52: "NGC7654", 53: "NGC5024", 54: "NGC6715", 55: "NGC6809",
    56: "NGC6779", 57: "NGC6720", 58: "NGC4579", 59: "NGC4621", 60: "NGC4649",
    61: "NGC4303", 62: "NGC6266", 63: "NGC5055", 64: "NGC4826", 65: "NGC3623",
    66: "NGC3627", 67: "NGC2682", 68: "NGC4590", 69: "NGC6637", 70: "NGC6681",
    71: "NGC6838", 72: "NGC6981", 73: "NGC6994", 74: "NGC628", 75: "NGC6864",
    76: "NGC650", 77: "NGC1068", 78: "NGC2068", 79: "NGC1904", 80: "NGC6093",
    81: "NGC3031", 82: "NGC3034", 83: "NGC5236", 84: "NGC4374", 85: "NGC4382",
    86: "NGC4406", 87: "NGC4486", 88: "NGC4501", 89: "NGC4552", 90: "NGC4569",
    91: "NGC4548", 92: "NGC6341", 93: "NGC2447", 94: "NGC4736", 95: "NGC3351",
    96: "NGC3368", 97: "NGC3587", 98: "NGC4192", 99: "NGC4254", 100: "NGC4321",
    101: "NGC5457", 102: "NGC5866", 103: "NGC581", 104: "NGC4594", 105: "NGC3379",
    106: "NGC4258", 107: "NGC6171", 108: "NGC3556", 109: "NGC3992", 110: "NGC205",
}  # fmt: skip

#: Caldwell number -> the other designation of the same object. C99 (the Coalsack) has none;
#: pairs (C14 = NGC 869/884, C33 = NGC 6992/5, C49 = NGC 2237-9) map to the first number.
CALDWELL_CROSS: dict[int, str] = {
    1: "NGC188", 2: "NGC40", 3: "NGC4236", 4: "NGC7023", 5: "IC342",
    6: "NGC6543", 7: "NGC2403", 8: "NGC559", 9: "Sh2-155", 10: "NGC663",
    11: "NGC7635", 12: "NGC6946", 13: "NGC457", 14: "NGC869", 15: "NGC6826",
    16: "NGC7243", 17: "NGC147", 18: "NGC185", 19: "IC5146", 20: "NGC7000",
    21: "NGC4449", 22: "NGC7662", 23: "NGC891", 24: "NGC1275", 25: "NGC2419",
    26: "NGC4244", 27: "NGC6888", 28: "NGC752", 29: "NGC5005", 30: "NGC7331",
    31: "IC405", 32: "NGC4631", 33: "NGC6992", 34: "NGC6960", 35: "NGC4889",
    36: "NGC4559", 37: "NGC6885", 38: "NGC4565", 39: "NGC2392", 40: "NGC3626",
    41: "Mel25", 42: "NGC7006", 43: "NGC7814", 44: "NGC7479", 45: "NGC5248",
    46: "NGC2261", 47: "NGC6934", 48: "NGC2775", 49: "NGC2237", 50: "NGC2244",
    51: "IC1613", 52: "NGC4697", 53: "NGC3115", 54: "NGC2506", 55: "NGC7009",
    56: "NGC246", 57: "NGC6822", 58: "NGC2360", 59: "NGC3242", 60: "NGC4038",
    61: "NGC4039", 62: "NGC247", 63: "NGC7293", 64: "NGC2362", 65: "NGC253",
    66: "NGC5694", 67: "NGC1097", 68: "NGC6729", 69: "NGC6302", 70: "NGC300",
    71: "NGC2477", 72: "NGC55", 73: "NGC1851", 74: "NGC3132", 75: "NGC6124",
    76: "NGC6231", 77: "NGC5128", 78: "NGC6541", 79: "NGC3201", 80: "NGC5139",
    81: "NGC6352", 82: "NGC6193", 83: "NGC4945", 84: "NGC5286", 85: "IC2391",
    86: "NGC6397", 87: "NGC1261", 88: "NGC5823", 89: "NGC6087", 90: "NGC2867",
    91: "NGC3532", 92: "NGC3372", 93: "NGC6752", 94: "NGC4755", 95: "NGC6025",
    96: "NGC2516", 97: "NGC3766", 98: "NGC4609", 100: "IC2944",
    101: "NGC6744", 102: "IC2602", 103: "NGC2070", 104: "NGC362", 105: "NGC4833",
    106: "NGC104", 107: "NGC6101", 108: "NGC4372", 109: "NGC3195",
}  # fmt: skip
