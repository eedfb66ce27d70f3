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
