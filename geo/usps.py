"""The word tables of US address matching: street suffixes, directionals, ordinals, unit words.

Written for this project after USPS Publication 28 (Postal Addressing Standards), appendix C1
(street suffixes: the primary name, the common abbreviations and misspellings, and the
standard abbreviation) and C2 (secondary unit designators). Both sides of a match go through
the same tables, so a word is mapped wherever it stands in a name ("Mill Creek Road" ->
"ml crk rd"): what matters is that every spelling of one street reduces to one key.

``WORDS`` maps a lower-case word to its short form; ``SUFFIXES`` and ``DIRECTIONALS`` hold
the short forms, so a key's last word can be recognised as its street type.
"""

from __future__ import annotations

# Standard abbreviation -> the spellings that mean it (the primary name first).
_SUFFIXES: dict[str, str] = {
    "aly": "alley allee ally", "anx": "anex annex annx", "arc": "arcade",
    "ave": "avenue av aven avenu avn avnue", "byu": "bayou bayoo", "bch": "beach",
    "bnd": "bend", "blf": "bluff bluf", "blfs": "bluffs", "btm": "bottom bot bottm",
    "blvd": "boulevard boul boulv", "br": "branch brnch", "brg": "bridge brdge",
    "brk": "brook", "brks": "brooks", "bg": "burg", "bgs": "burgs",
    "byp": "bypass bypa bypas byps", "cp": "camp cmp", "cyn": "canyon canyn cnyn",
    "cpe": "cape", "cswy": "causeway causwa", "ctr": "center cen cent centr centre cnter cntr",
    "ctrs": "centers", "cir": "circle circ circl crcl crcle", "cirs": "circles",
    "clf": "cliff", "clfs": "cliffs", "clb": "club", "cmn": "common", "cmns": "commons",
    "cor": "corner", "cors": "corners", "crse": "course", "ct": "court crt", "cts": "courts",
    "cv": "cove", "cvs": "coves", "crk": "creek", "cres": "crescent crsent crsnt",
    "crst": "crest", "xing": "crossing crssng", "xrd": "crossroad", "xrds": "crossroads",
    "curv": "curve", "dl": "dale", "dm": "dam", "dv": "divide div dvd",
    "dr": "drive driv drv", "drs": "drives", "est": "estate", "ests": "estates",
    "expy": "expressway exp expr express expw", "ext": "extension extn extnsn",
    "exts": "extensions", "fls": "falls", "fry": "ferry frry", "fld": "field",
    "flds": "fields", "flt": "flat", "flts": "flats", "frd": "ford", "frds": "fords",
    "frst": "forest forests", "frg": "forge forg", "frgs": "forges", "frk": "fork",
    "frks": "forks", "ft": "fort frt", "fwy": "freeway freewy frway frwy",
    "gdn": "garden gardn grden grdn", "gdns": "gardens grdns",
    "gtwy": "gateway gatewy gatway gtway", "gln": "glen", "glns": "glens", "grn": "green",
    "grns": "greens", "grv": "grove grov", "grvs": "groves", "hbr": "harbor harb harbr hrbor",
    "hbrs": "harbors", "hvn": "haven", "hts": "heights ht",
    "hwy": "highway highwy hiway hiwy hway", "hl": "hill", "hls": "hills",
    "holw": "hollow hllw hollows holws", "inlt": "inlet", "is": "island islnd",
    "iss": "islands islnds", "jct": "junction jction jctn junctn juncton",
    "jcts": "junctions", "ky": "key", "kys": "keys", "knl": "knoll knol", "knls": "knolls",
    "lk": "lake", "lks": "lakes", "lndg": "landing lndng", "ln": "lane", "lgt": "light",
    "lgts": "lights", "lf": "loaf", "lck": "lock", "lcks": "locks", "ldg": "lodge ldge lodg",
    "loop": "loops", "mnr": "manor", "mnrs": "manors", "mdw": "meadow",
    "mdws": "meadows medows", "ml": "mill", "mls": "mills", "msn": "mission missn mssn",
    "mtwy": "motorway", "mt": "mount mnt", "mtn": "mountain mntain mntn mountin mtin",
    "mtns": "mountains", "nck": "neck", "orch": "orchard orchrd", "oval": "ovl",
    "opas": "overpass", "park": "parks prk", "pkwy": "parkway parkwy pkway pky parkways pkwys",
    "psge": "passage", "path": "paths", "pike": "pikes", "pne": "pine", "pnes": "pines",
    "pl": "place", "pln": "plain", "plns": "plains", "plz": "plaza plza", "pt": "point",
    "pts": "points", "prt": "port", "prts": "ports", "pr": "prairie prr",
    "radl": "radial rad radiel", "rnch": "ranch ranches rnchs", "rpd": "rapid",
    "rpds": "rapids", "rst": "rest", "rdg": "ridge rdge", "rdgs": "ridges",
    "riv": "river rvr rivr", "rd": "road", "rds": "roads", "rte": "route", "shl": "shoal",
    "shls": "shoals", "shr": "shore shoar", "shrs": "shores", "skwy": "skyway",
    "spg": "spring spng sprng", "spgs": "springs", "spur": "spurs",
    "sq": "square sqr sqre squ", "sqs": "squares sqrs", "sta": "station statn stn",
    "stra": "stravenue strav straven stravn strvn strvnue", "strm": "stream streme",
    "st": "street strt str", "sts": "streets", "smt": "summit sumit sumitt",
    "ter": "terrace terr", "trwy": "throughway", "trce": "trace traces",
    "trak": "track tracks trk trks", "trfy": "trafficway", "trl": "trail trails trls",
    "trlr": "trailer trlrs", "tunl": "tunnel tunel tunls tunnels tunnl",
    "tpke": "turnpike trnpk turnpk", "upas": "underpass", "un": "union", "uns": "unions",
    "vly": "valley vally vlly", "vlys": "valleys", "via": "viaduct vdct viadct",
    "vw": "view", "vws": "views", "vlg": "village vill villag villg villiage",
    "vlgs": "villages", "vl": "ville", "vis": "vista vist vst vsta", "walk": "walks",
    "wall": "", "way": "wy", "ways": "", "wl": "well", "wls": "wells", "mall": "",
    "mews": "", "pass": "", "ramp": "", "row": "", "rue": "", "run": "", "land": "",
    "fall": "",
}  # fmt: skip

DIRECTIONALS: dict[str, str] = {
    "north": "n", "south": "s", "east": "e", "west": "w", "northeast": "ne",
    "northwest": "nw", "southeast": "se", "southwest": "sw",
}  # fmt: skip

_UNITS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
_TEENS = [
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_TENTHS = [
    "twentieth",
    "thirtieth",
    "fortieth",
    "fiftieth",
    "sixtieth",
    "seventieth",
    "eightieth",
    "ninetieth",
]


def ordinal(number: int) -> str:
    """``1`` -> ``1st``, ``12`` -> ``12th``, ``23`` -> ``23rd``."""
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def _ordinals() -> dict[str, str]:
    """Spelled-out ordinals up to the ninety-ninth; compounds as two words ("twenty first")."""
    table = {word: ordinal(i + 1) for i, word in enumerate(_UNITS)}
    table |= {word: ordinal(i + 10) for i, word in enumerate(_TEENS)}
    for i, (tens, tenth) in enumerate(zip(_TENS, _TENTHS, strict=True)):
        base = 20 + 10 * i
        table[tenth] = ordinal(base)
        for j, unit in enumerate(_UNITS):
            table[f"{tens} {unit}"] = ordinal(base + j + 1)
            table[f"{tens}{unit}"] = ordinal(base + j + 1)
    return table


ORDINALS = _ordinals()

# Other words and phrases that are spelled both ways in street names.
_OTHER: dict[str, str] = {
    "saint": "st", "county": "co", "state route": "sr", "state rte": "sr", "state road": "sr",
    "state rd": "sr", "state highway": "sr", "state hwy": "sr", "interstate": "i",
    "junior": "jr",
}  # fmt: skip

SUFFIXES: frozenset[str] = frozenset(_SUFFIXES)
"""Standard street type abbreviations (``st``, ``ave``, ``rd``, ...)."""

WORDS: dict[str, str] = {
    **{variant: short for short, text in _SUFFIXES.items() for variant in text.split()},
    **DIRECTIONALS,
    **ORDINALS,
    **_OTHER,
}
"""Every word or phrase (lower case, single spaces) mapped to its short form."""

SHORT_DIRECTIONALS: frozenset[str] = frozenset(DIRECTIONALS.values())

UNIT_DESIGNATORS: tuple[str, ...] = (
    "apartment", "apt", "basement", "bsmt", "building", "bldg", "department", "dept", "floor",
    "fl", "flr", "hangar", "hngr", "lot", "office", "ofc", "penthouse", "ph", "pier", "room",
    "rm", "slip", "space", "spc", "stop", "suite", "ste", "trailer", "trlr", "unit",
)  # fmt: skip
"""Secondary unit designators (Publication 28, C2) that are followed by an identifier."""
