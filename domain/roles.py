"""User roles (docs/contract.md, users)."""

from enum import StrEnum


class Role(StrEnum):
    CLERK = "clerk"  # intake clerk: hotline, petition office, front desk
    CASEWORKER = "caseworker"  # case worker of the responsible unit
    UNIT_HEAD = "unit_head"  # head of a unit
    SUPERVISOR = "supervisor"  # office of the leading group (领导小组办公室): sees every case
    LEADER = "leader"  # county leader with assigned major cases (领导包案)
    LIAISON = "liaison"  # police, court, procuratorate, legal aid, civil affairs, bank
    ADMIN = "admin"  # manages user accounts


# A liaison acts for a unit outside the administrative chain that cases are referred to: the police, the
# court, the procuratorate, or the bank (人民银行) for wage deposits and accounts.
LIAISON_UNITS = ("police", "court", "procuratorate", "pboc")


def unit_fits_role(role: str, unit: str) -> bool:
    """Whether a user of `role` may belong to `unit` (a liaison only to one of LIAISON_UNITS)."""
    return role != Role.LIAISON or unit in LIAISON_UNITS
