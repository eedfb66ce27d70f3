"""Domain errors. Each boundary translates them: the API to 403/404/409/422, activities to
non-retryable ApplicationErrors, workflow update validators to rejected updates.

An error carries a stable `code` and its `params`; its English and Chinese texts are looked up by code in
`domain.texts`, so a person reads it in their language and no caller parses the English wording.
"""

from domain import texts


class DomainError(Exception):
    """A rule of the domain refused something; the code says what and the params say why."""

    kind = "domain"
    default_code = "refused"

    def __init__(self, message: str | None = None, *, code: str | None = None, field: str | None = None, **params):
        self.code = code or self.default_code
        self.params = {k: v if isinstance(v, (str, int, bool)) or v is None else str(v) for k, v in params.items()}
        if message is None:
            message = texts.text(self.code, self.params, "en")
        else:
            self.params.setdefault("message", message)  # an uncoded error says its message in both languages
        super().__init__(message)
        self.message = message
        self.field = field

    def text(self, language: str) -> str:
        """The error in a language ('zh' or 'en')."""
        if self.code in texts.TEXTS:
            return texts.text(self.code, self.params, language)
        return self.message


class InvalidInput(DomainError):
    """The request itself is malformed or out of range (HTTP 422)."""

    kind = "invalid"
    default_code = "invalid_input"


class NotAllowedNow(DomainError):
    """The action is valid in general but not in the case's current state (HTTP 409)."""

    kind = "conflict"
    default_code = "not_allowed_now"


class Forbidden(DomainError):
    """The actor's role or unit may not do this (HTTP 403)."""

    kind = "forbidden"
    default_code = "forbidden"


class CalendarUnknown(DomainError):
    """The working-day calendar does not know a year and the jurisdiction refuses to guess."""

    kind = "calendar"
    default_code = "calendar_unknown"


KINDS: dict[str, type[DomainError]] = {
    cls.kind: cls for cls in (InvalidInput, NotAllowedNow, Forbidden, CalendarUnknown)
}


def from_kind(
    kind: str | None, *, code: str | None, message: str, field: str | None, params: dict | None
) -> DomainError:
    """A DomainError rebuilt from its parts (as a workflow's ApplicationError carries them)."""
    cls = KINDS.get(kind or "", NotAllowedNow)
    if code and code in texts.TEXTS:
        return cls(code=code, field=field, **(params or {}))
    return cls(message, field=field)
