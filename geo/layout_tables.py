"""Published voter file layouts, one small table each: which column holds which field.

A layout is recognised by its header (``signature``: header keys that must all be present;
any of several sets) or, for files published without a header, by the shape of the first
line (``headerless``). ``columns`` maps canonical fields to the column names as the layout
publishes them (alternatives for older versions after the first); fields it leaves out are
still found by the generic header spellings of ``geo.layouts.COLUMN_ALIASES``. Adding a
state is adding a ``Layout`` to ``LAYOUT_TABLES``.

Header keys are compared loosely (``geo.layouts.header_key``: lower case, no spaces, dots,
dashes or ``_``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["LAYOUT_TABLES", "Layout"]


@dataclass(frozen=True)
class Layout:
    """One published voter file layout."""

    name: str
    """Short name reported as the file's layout (``ohio_swvf``)."""
    source: str
    """Who publishes it and where the column names come from."""
    signature: tuple[frozenset[str], ...] = ()
    """Header keys that identify it: a file matches when it has all keys of one set."""
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Canonical field -> the layout's column name (then older spellings)."""
    date_formats: tuple[str, ...] = ("%Y-%m-%d", "%m/%d/%Y")
    """``strptime`` formats of ``birth_date``, tried in order."""
    history: re.Pattern[str] | None = None
    """Header of a vote history column, with groups ``kind`` (``GENERAL``) and ``date``."""
    history_date_format: str = "%m/%d/%Y"
    headerless: tuple[str, ...] = ()
    """For files published without a header: every column name, in order."""
    first_values: tuple[re.Pattern[str], ...] = ()
    """What the first values of a headerless file's first line look like."""


def _keys(*names: str) -> frozenset[str]:
    return frozenset(re.sub(r"[\s._\-]+", "", n.strip().lower()) for n in names)


# Ohio Secretary of State, Statewide Voter File (SWVF_1_22.txt ... SWVF_67_88.txt), CSV with
# a header: SOS_VOTERID, COUNTY_NUMBER, COUNTY_ID, LAST_NAME, FIRST_NAME, MIDDLE_NAME, SUFFIX,
# DATE_OF_BIRTH, REGISTRATION_DATE, VOTER_STATUS, PARTY_AFFILIATION, RESIDENTIAL_ADDRESS1,
# RESIDENTIAL_SECONDARY_ADDR, RESIDENTIAL_CITY, RESIDENTIAL_STATE, RESIDENTIAL_ZIP,
# RESIDENTIAL_ZIP_PLUS4, ..., MAILING_ADDRESS1, ..., CITY, ..., PRECINCT_NAME, PRECINCT_CODE,
# ..., WARD, then one column per election: PRIMARY-03/17/2020, GENERAL-11/03/2020, ... holding
# X (voted) or the party letter of a primary ballot, blank for not voted. CITY is a taxing
# district, not the residential city.
OHIO_SWVF = Layout(
    name="ohio_swvf",
    source="Ohio Secretary of State, Statewide Voter File (SWVF) layout",
    signature=(_keys("SOS_VOTERID", "RESIDENTIAL_ADDRESS1"),),
    columns={
        "voter_id": ("SOS_VOTERID",),
        "last_name": ("LAST_NAME",),
        "first_name": ("FIRST_NAME",),
        "birth_date": ("DATE_OF_BIRTH",),
        "party": ("PARTY_AFFILIATION",),
        "address": ("RESIDENTIAL_ADDRESS1",),
        "unit": ("RESIDENTIAL_SECONDARY_ADDR",),
        "city": ("RESIDENTIAL_CITY",),
        "state": ("RESIDENTIAL_STATE",),
        "zip": ("RESIDENTIAL_ZIP",),
    },
    history=re.compile(r"(?i)^(?P<kind>PRIMARY|GENERAL|SPECIAL)-(?P<date>\d{1,2}/\d{1,2}/\d{4})$"),
)

# Florida Division of Elections, Voter Extract File Layout: one tab-delimited file per county
# (ALA_20240109.txt), 38 fields and no header line. Vote history comes in a separate extract
# (one row per voter and election), not as columns. Birth Date is MM/DD/YYYY.
FLORIDA_FIELDS = (
    "County Code", "Voter ID", "Name Last", "Name Suffix", "Name First", "Name Middle",
    "Requested public records exemption", "Residence Address Line 1",
    "Residence Address Line 2", "Residence City (USPS)", "Residence State",
    "Residence Zipcode", "Mailing Address Line 1", "Mailing Address Line 2",
    "Mailing Address Line 3", "Mailing City", "Mailing State", "Mailing Zipcode",
    "Mailing Country", "Gender", "Race", "Birth Date", "Registration Date",
    "Party Affiliation", "Precinct", "Precinct Group", "Precinct Split", "Precinct Suffix",
    "Voter Status", "Congressional District", "House District", "Senate District",
    "County Commission District", "School Board District", "Daytime Area Code",
    "Daytime Phone Number", "Daytime Phone Extension", "Email address",
)  # fmt: skip
FLORIDA_EXTRACT = Layout(
    name="florida_extract",
    source="Florida Division of Elections, Voter Extract File Layout",
    signature=(_keys("Voter ID", "Residence Address Line 1"),),
    columns={
        "voter_id": ("Voter ID",),
        "last_name": ("Name Last",),
        "first_name": ("Name First",),
        "birth_date": ("Birth Date",),
        "party": ("Party Affiliation",),
        "address": ("Residence Address Line 1",),
        "unit": ("Residence Address Line 2",),
        "city": ("Residence City (USPS)",),
        "state": ("Residence State",),
        "zip": ("Residence Zipcode",),
    },
    date_formats=("%m/%d/%Y", "%Y-%m-%d"),
    headerless=FLORIDA_FIELDS,
    # County Code (three letters: ALA ... WAS) and Voter ID (digits).
    first_values=(re.compile(r"^[A-Z]{3}$"), re.compile(r"^\d{6,12}$")),
)

# North Carolina State Board of Elections, ncvoter (layout_ncvoter.txt, 02/2022): tab-delimited
# with a header; age_at_year_end was birth_age before 02/2022. History is the separate ncvhis.
NC_NCVOTER = Layout(
    name="ncvoter",
    source="North Carolina State Board of Elections, layout_ncvoter.txt",
    signature=(_keys("ncid", "res_street_address"),),
    columns={
        "voter_id": ("ncid",),
        "last_name": ("last_name",),
        "first_name": ("first_name",),
        "age": ("age_at_year_end", "birth_age"),
        "birth_year": ("birth_year",),
        "party": ("party_cd",),
        "address": ("res_street_address",),
        "city": ("res_city_desc",),
        "state": ("state_cd",),
        "zip": ("zip_code",),
    },
)

# VAN and MiniVAN exports: the columns depend on the committee's export settings, so they are
# found by the generic spellings (VanID, Voter File VANID, VAddressLatitude, ...).
VAN = Layout(
    name="van",
    source="NGP VAN exports (column names vary with the export settings)",
    signature=(_keys("Voter File VANID"), _keys("VanID"), _keys("VoterVANID")),
)

LAYOUT_TABLES: tuple[Layout, ...] = (VAN, NC_NCVOTER, OHIO_SWVF, FLORIDA_EXTRACT)
