"""Domain errors. Each boundary translates them: the API to 403/404/409/422, activities to
non-retryable ApplicationErrors, workflow update validators to rejected updates."""


class DomainError(Exception):
    """A rule of the domain refused something; the message says what and why."""

    kind = "domain"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """The request itself is malformed or out of range (HTTP 422)."""

    kind = "invalid"


class NotAllowedNow(DomainError):
    """The action is valid in general but not in the case's current state (HTTP 409)."""

    kind = "conflict"


class Forbidden(DomainError):
    """The actor's role or unit may not do this (HTTP 403)."""

    kind = "forbidden"


class CalendarUnknown(DomainError):
    """The working-day calendar does not know a year and the jurisdiction refuses to guess."""

    kind = "calendar"
