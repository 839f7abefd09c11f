"""Personal identifiers in a table (Tip 10), after the HIPAA Safe Harbor list of 18 identifiers.

Each column is checked by its name (``dob``, ``zip``, ``email``, ``mrn``…) and by a sample of
its values (e-mail addresses, phone numbers, dates with day and month, ZIP codes, IP and MAC
addresses, URLs, person names, ages over 89). A hit says which Safe Harbor element the
column looks like and why; the Data page turns hits into findings, keeps such columns out
of the features and suggests declaring the data sensitive. A scan is a heuristic: it can
miss identifiers and flag harmless columns, so the user's declaration still decides.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import pandas as pd

from guiapp.core.study.findings import Findings

SAMPLE_VALUES = 500

# Safe Harbor element -> words for the finding
KINDS = {
    "name": "a person's name",
    "geography": "a place smaller than a state (address, city, county or ZIP code)",
    "date": "a date tied to a person (day and month, not just the year)",
    "age": "an age over 89",
    "phone": "a telephone number",
    "fax": "a fax number",
    "email": "an e-mail address",
    "ssn": "a social security number",
    "record": "a medical record number",
    "beneficiary": "a health plan beneficiary number",
    "account": "an account number",
    "license": "a certificate or licence number",
    "vehicle": "a vehicle identifier or licence plate",
    "device": "a device identifier or serial number",
    "url": "a web address (URL)",
    "ip": "an IP address",
    "biometric": "a biometric identifier (finger or voice print)",
    "photo": "a full-face photograph",
    "code": "another unique identifying number or code",
}

_NOT_A_PERSON = (
    r"(gene|sample|cell|line|file|probe|protein|strain|species|compound|drug|feature|column|batch|site|image|"
    r"plate|run|array|assay|pathway|transcript|isoform|tissue|organ|cohort|study|dataset|project|lab|center|centre)"
)
_NAME_RULES = (
    ("ssn", r"(^|_)(ssn|social_?security(_?(number|no))?|sin|nino)($|_)"),
    ("email", r"e_?mail"),
    ("fax", r"(^|_)fax"),
    ("phone", r"(^|_)(phone|telephone|tel|mobile|cell_?phone|contact_?number)($|_)"),
    ("url", r"(^|_)(url|website|web_?page|homepage|link)($|_)"),
    ("ip", r"(^|_)ip(_?(address|addr|v4|v6))?($|_)"),
    (
        "device",
        r"(^|_)(device_?(id|serial)|serial(_?(no|number))?|imei|udid|mac_?(address|addr)|pacemaker|implant_?id)($|_)",
    ),
    ("vehicle", r"(^|_)(vin|licen[cs]e_?plate|number_?plate|vehicle(_?id)?)($|_)"),
    ("license", r"(^|_)(licen[cs]e(_?(no|number|id))?|certificate(_?(no|number|id))?|npi|dea_?number)($|_)"),
    (
        "beneficiary",
        r"(^|_)(insurance(_?id)?|member_?id|policy(_?(no|number|id))?|beneficiary|medicaid|medicare|health_?plan)($|_)",
    ),
    ("account", r"(^|_)(account(_?(no|number|id))?|acct|iban|credit_?card|card_?number|bank)($|_)"),
    (
        "record",
        r"(^|_)(mrn|medical_?record(_?(no|number))?|record_?(no|number)|chart_?(no|number)|hospital_?(no|number|id)|patient_?id|nhs_?(no|number))($|_)",
    ),
    ("biometric", r"(fingerprint|finger_?print|voice_?print|retina|iris_?scan|biometric)"),
    ("photo", r"(face_?photo|photograph|portrait|selfie)"),
    (
        "date",
        r"(^|_)(dob|date_?of_?birth|birth_?(date|day)|birthday|admission(_?date)?|admit(_?date)?|discharge(_?date)?|"
        r"death(_?date)?|date_?of_?death|visit_?date|surgery_?date|procedure_?date|collection_?date|diagnosis_?date)($|_)",
    ),
    (
        "geography",
        r"(^|_)(address|street|city|town|village|county|zip(_?code)?|post_?code|postal(_?code)?|precinct|"
        r"neighbou?rhood|latitude|longitude|lat|lon|lng|gps|geo_?location|census_?tract|district)($|_)",
    ),
    (
        "name",
        r"(^|_)((first|last|given|family|full|sur|maiden|middle|patient|person|mother|father|physician|doctor|"
        r"donor|participant|subject)_?)?name($|_)|(^|_)(surname|forename|initials)($|_)",
    ),
)
_EMAIL = re.compile(r"^[\w.+'-]+@[\w-]+(\.[\w-]+)+$")
_URL = re.compile(r"^(https?://|www\.)\S+$", re.I)
_IPV4 = re.compile(r"^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$")
_IPV6 = re.compile(r"^[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}$", re.I)
_MAC = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$", re.I)
_SSN = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_PHONE = re.compile(r"^(\+\d{1,3}[\s.-]?)?(\(\d{2,4}\)[\s.-]?|\d{2,4}[\s.-])\d{3,4}[\s.-]?\d{3,4}$")
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_DATE = re.compile(
    r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}[ -]?[A-Za-z]{3,9}[ -]?\d{2,4}|"
    r"[A-Za-z]{3,9} \d{1,2},? \d{4})([ T]\d{1,2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$"
)
_STREET = re.compile(
    r"^\d+[A-Za-z]?\s+(\w+\s+){0,4}(street|st|avenue|ave|road|rd|lane|ln|boulevard|blvd|drive|dr|"
    r"court|ct|way|place|pl|terrace|square|sq)\.?(\b.*)?$",
    re.I,
)
_PERSON = re.compile(r"^([A-Z][a-z'’-]+),?\s+([A-Z][a-z'’-]+|[A-Z]\.)(\s+[A-Z][a-z'’-]+)?$")
FIRST_NAMES = set(
    """
james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony mark
donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary
nicholas eric jonathan stephen larry justin scott brandon benjamin samuel gregory alexander frank patrick raymond
jack dennis jerry tyler aaron jose adam nathan henry douglas zachary peter kyle walter ethan jeremy harold keith
christian roger noah gerald carl terry sean austin arthur lawrence jesse dylan bryan joe jordan billy bruce albert
willie gabriel logan alan juan wayne roy ralph randy eugene vincent russell elijah louis bobby philip johnny mary
patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra ashley kimberly
emily donna michelle carol amanda dorothy melissa deborah stephanie rebecca sharon laura cynthia kathleen amy angela
shirley anna brenda pamela emma nicole helen samantha katherine christine debra rachel carolyn janet catherine maria
heather diane ruth julie olivia joyce virginia victoria kelly lauren christina joan evelyn judith megan andrea cheryl
hannah jacqueline martha gloria teresa ann sara madison frances kathryn janice jean abigail alice julia judy sophia
grace denise amber doris marilyn danielle beverly isabella theresa diana natalie brittany charlotte marie kayla alexis
lori ana carlos luis miguel jorge pedro sofia lucia carmen rosa hans peter klaus jurgen anna ursula wolfgang monika
pierre jean marie claire sophie louis luca marco giulia francesca wei li ming hui yan jing ahmed mohammed fatima ali
aisha omar hiroshi yuki kenji sakura raj priya amit anil sunita olga ivan dmitri sergei natasha lars erik ingrid
""".split()
)


@dataclass
class PiiHit:
    """One column that looks like a personal identifier."""

    column: str
    category: str  # a key of KINDS
    evidence: str  # why, in words
    share: float | None = None  # share of sampled values that matched (None: by name only)

    @property
    def kind(self) -> str:
        return KINDS[self.category]

    def to_dict(self) -> dict:
        return {**asdict(self), "kind": self.kind}


def _norm_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


_NAME_RULES_COMPILED = [(category, re.compile(pattern)) for category, pattern in _NAME_RULES]
_NOT_A_PERSON_NAME = re.compile(_NOT_A_PERSON + r"_?name")
_AGE = re.compile(r"(^|_)age(_?(years|yrs|at_\w+))?($|_)")
_PEOPLE = re.compile(
    r"(^|_)(patient|subject|participant|person|individual|client|member|employee|student)s?"
    r"(_?(id|code|no|number))?($|_)"
)
_CODE = re.compile(r"^(?=.*\d)[\w-]{3,}$")


def category_by_name(name: str) -> str | None:
    key = _norm_name(name)
    if not key:
        return None
    for category, pattern in _NAME_RULES_COMPILED:
        if pattern.search(key):
            if category == "name" and _NOT_A_PERSON_NAME.search(key):
                return None
            return category
    return None


def _share(values: list, pattern: re.Pattern) -> float:
    return sum(bool(pattern.match(v)) for v in values) / len(values) if values else 0.0


def _person_share(values: list) -> float:
    hits = 0
    for v in values:
        m = _PERSON.match(v)
        if m and (m.group(1).lower() in FIRST_NAMES or m.group(2).lower().rstrip(".") in FIRST_NAMES):
            hits += 1
    return hits / len(values) if values else 0.0


def _strings(series: pd.Series) -> list:
    values = series.dropna()
    if len(values) > SAMPLE_VALUES:
        values = values.sample(SAMPLE_VALUES, random_state=0)
    return [str(v).strip() for v in values if str(v).strip()]


def scan_column(name: str, series: pd.Series) -> PiiHit | None:
    """The Safe Harbor element a column looks like, or None."""
    by_name = category_by_name(name)
    if isinstance(series.dtype, pd.SparseDtype):
        return None
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        key = _norm_name(name)
        if _AGE.search(key):
            over = int((series > 89).sum())
            if over:
                return PiiHit(
                    name,
                    "age",
                    f"{over} value(s) over 89; Safe Harbor allows ages only up to 89, older ones pooled as 90 or over",
                )
            return None
        if by_name in ("geography", "phone", "fax", "ssn", "record", "account", "beneficiary", "license", "device"):
            return PiiHit(name, by_name, f"the column name {name!r}")
        return None
    if pd.api.types.is_datetime64_any_dtype(series):
        days = series.dropna()
        if len(days) and ((days.dt.month != 1) | (days.dt.day != 1)).any():
            return PiiHit(name, "date", "it holds dates with day and month", 1.0)
        return None
    values = _strings(series)
    checks = (
        (_EMAIL, "email", 0.5, "e-mail addresses"),
        (_URL, "url", 0.5, "web addresses"),
        (_SSN, "ssn", 0.5, "numbers shaped like social security numbers (123-45-6789)"),
        (_MAC, "device", 0.5, "MAC addresses (device identifiers)"),
        (_IPV4, "ip", 0.5, "IP addresses"),
        (_IPV6, "ip", 0.8, "IPv6 addresses"),
        (_PHONE, "fax" if by_name == "fax" else "phone", 0.8, "telephone numbers"),
        (_DATE, "date", 0.8, "dates with day and month"),
        (_STREET, "geography", 0.5, "street addresses"),
    )
    for pattern, category, threshold, words in checks:
        share = _share(values, pattern)
        if share >= threshold:
            return PiiHit(name, category, f"{share:.0%} of the sampled values are {words}", round(share, 3))
    zip_share = _share(values, _ZIP)
    if zip_share >= 0.8 and by_name == "geography":
        return PiiHit(name, "geography", f"{zip_share:.0%} of the sampled values are ZIP codes", round(zip_share, 3))
    person = _person_share(values)
    if person >= 0.5 or (by_name == "name" and person >= 0.2):
        return PiiHit(
            name, "name", f"{person:.0%} of the sampled values look like first and last names", round(person, 3)
        )
    if by_name:
        return PiiHit(name, by_name, f"the column name {name!r}")
    if _PEOPLE.search(_norm_name(name)) and values and _share(values, _CODE) >= 0.8:
        return PiiHit(
            name,
            "code",
            "it codes people (item 18 allows a study code only if it is not derived "
            "from personal data and its key is kept apart)",
        )
    return None


def scan_pii(table: pd.DataFrame, *, columns: list | None = None, max_columns: int = 5000) -> list[PiiHit]:
    """Scan every column (or ``columns``) of a table; numeric columns are checked by name only,
    and only the first ``max_columns`` columns of a very wide table are looked at."""
    cols = list(columns) if columns is not None else list(table.columns)[:max_columns]
    hits = []
    for col in cols:
        hit = scan_column(str(col), table[col])
        if hit is not None:
            hits.append(hit)
    return hits


LISTED_COLUMNS = 200  # names kept in the record; a 20,000-gene table keeps the count and the first ones


def scan_record(
    table: pd.DataFrame, hits: list, *, columns: list | None = None, when: str = "", max_columns: int = 5000
) -> dict:
    """What a scan looked at and found, for ``study.json``, the manifest and the card.

    ``columns`` and ``max_columns`` are those given to :func:`scan_pii`; the record says which
    columns it checked (their number and the first :data:`LISTED_COLUMNS` names), which it
    did not, and every hit.
    """
    checked = [str(c) for c in (list(columns) if columns is not None else list(table.columns)[:max_columns])]
    return {
        "when": when,
        "method": "HIPAA Safe Harbor identifiers: column names and sampled values",
        "n_columns": len(checked),
        "columns": checked[:LISTED_COLUMNS],
        "n_not_checked": int(table.shape[1]) - len(checked),
        "found": [{"column": h.column, "category": h.category, "kind": h.kind} for h in hits],
    }


def pii_findings(hits: list, *, group: str = "") -> list:
    """One finding per personal column; the group column gets advice to keep it as the group."""
    return [
        (Findings.personal_group_column if group and h.column == group else Findings.personal_identifier).raise_(
            column=h.column, kind=h.kind, evidence=h.evidence
        )
        for h in hits
    ]


def suggests_sensitive(hits: list) -> bool:
    """Any personal identifier makes the data sensitive until the user says otherwise."""
    return bool(hits)
