"""What a case's recorded text says on a screen: codes become names, instants become China time, and the
people who acted are shown by full name with their unit.

The workflow's timeline and escalations keep what was recorded (usernames, unit codes, ISO instants): that
is the case's history and replays as it was. The screens translate it when they show it, so old cases read
as well as new ones: unit codes into the units' names, channel codes into the channel's name, ISO 8601
instants into China time (2026年12月2日16时00分), maintainers' markers ("(check)") dropped.
"""

import re
from datetime import datetime

from documents.context import clean_citation
from domain.formatting import china_time
from domain.jurisdiction import Jurisdiction
from domain.ui_text import CHANNEL_LABELS

SYSTEM_ACTORS = {"system": "系统（自动）", "public": "投诉人（网上）", "complainant": "投诉人"}
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})")
_CHANNEL = re.compile(r"(渠道[：:]\s?)([a-z_]+)")
_CODE = re.compile(r"\s?\b([a-z][a-z_]*[a-z])\b\s?")


def _instant(match: re.Match) -> str:
    try:
        return china_time(datetime.fromisoformat(match.group(0).replace("Z", "+00:00")))
    except ValueError:
        return match.group(0)


def readable(text: str | None, jurisdiction: Jurisdiction) -> str:
    """Recorded text as a person reads it: unit and channel codes named, instants in China time."""
    if not text:
        return ""
    text = clean_citation(text) or ""
    text = _ISO.sub(_instant, text)
    text = _CHANNEL.sub(lambda m: m.group(1) + CHANNEL_LABELS.get(m.group(2), m.group(2)), text)

    def name(match: re.Match) -> str:
        code = match.group(1)
        unit = jurisdiction.units.get(code)
        if unit is not None:
            return unit.name
        if code in CHANNEL_LABELS:
            return CHANNEL_LABELS[code]
        return match.group(0)

    return _CODE.sub(name, text)


class People:
    """Who acted, by username: full name and unit, looked up once per page (users: username → User)."""

    def __init__(self, users: dict, jurisdiction: Jurisdiction):
        self.users = users
        self.jurisdiction = jurisdiction

    def name(self, username: str | None) -> str:
        """ "张伟（县住房和城乡建设管理局）", or the username of someone unknown; system actors in words."""
        if not username:
            return "—"
        if username in SYSTEM_ACTORS:
            return SYSTEM_ACTORS[username]
        user = self.users.get(username)
        if user is None:
            return username
        unit = self.jurisdiction.units.get(user.unit)
        who = user.full_name or user.username
        return f"{who}（{unit.name}）" if unit else who
