"""Exception handlers: every error is JSON with a `detail` message; 422s also list `errors` by field."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import CalendarUnknown, DomainError, Forbidden, InvalidInput, NotAllowedNow

_DOMAIN_STATUS: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotAllowedNow: 409,
    Forbidden: 403,
    CalendarUnknown: 503,  # the jurisdiction must publish the year's calendar first
}
_KIND_STATUS = {"key_required": 428}  # api.case_service.KeyRequired: an action that moves money without a key
_SUMMARY_FIELDS = 3


def _field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            # loc is ("body", <character position>)
            reason = (error.get("ctx") or {}).get("error", "decode error")
            position = f" at character {loc[1]}" if len(loc) > 1 else ""
            errors.append({"field": "body", "message": f"the body is not valid JSON: {reason}{position}"})
            continue
        message = error.get("msg", "invalid").removeprefix("Value error, ")
        errors.append({"field": ".".join(str(part) for part in loc), "message": message})
    return errors


def _summary(errors: list[dict[str, str]]) -> str:
    count = len(errors)
    parts = [f"{e['field']}: {e['message']}" for e in errors[:_SUMMARY_FIELDS]]
    more = "; …" if count > _SUMMARY_FIELDS else ""
    noun = "invalid field" if count == 1 else "invalid fields"
    return f"{count} {noun}: " + "; ".join(parts) + more


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = _field_errors(exc)
    return JSONResponse(status_code=422, content={"detail": _summary(errors), "errors": errors})


def validation_error_response(exc: ValidationError, *, prefix: str) -> JSONResponse:
    """The 422 response for a body validated by hand (same shape as FastAPI's own validation)."""
    errors = [{"field": ".".join([prefix, *(str(p) for p in e["loc"])]),
               "message": e["msg"].removeprefix("Value error, ")} for e in exc.errors()]
    return JSONResponse(status_code=422, content={"detail": _summary(errors), "errors": errors})


async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
    status = next((code for kind, code in _DOMAIN_STATUS.items() if isinstance(exc, kind)),
                  _KIND_STATUS.get(exc.kind, 409))
    if status != 422:
        return JSONResponse(status_code=status, content={"detail": exc.message})
    errors = [{"field": exc.field, "message": exc.message}] if exc.field else []
    detail = _summary(errors) if errors else exc.message
    return JSONResponse(status_code=status, content={"detail": detail, "errors": errors})


def _body_parse_message(cause: BaseException | None) -> str | None:
    # FastAPI answers 400 "There was an error parsing the body" for JSON it cannot even decode; say why.
    if isinstance(cause, UnicodeDecodeError):
        return f"the body is not UTF-8 text (invalid byte at position {cause.start}); send UTF-8 JSON"
    if isinstance(cause, RecursionError):
        return "the JSON body is nested too deeply"
    return None


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail
    if exc.status_code == 400:
        detail = _body_parse_message(exc.__cause__) or detail
    return JSONResponse(
        status_code=exc.status_code, content={"detail": detail}, headers=getattr(exc, "headers", None)
    )


async def _value_out_of_range(_request: Request, _exc: Exception) -> JSONResponse:
    # The database refused a value from the request (an id or offset beyond 64 bits, say); nothing was
    # written, since the session rolls back.
    return JSONResponse(status_code=422, content={
        "detail": "a number or text in the request is out of the range the database can store"})


async def _unexpected_error(_request: Request, _exc: Exception) -> JSONResponse:
    # Starlette re-raises the exception after this response, so the server still logs it.
    return JSONResponse(status_code=500, content={"detail": "internal server error"})


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the same JSON shape."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OverflowError, _value_out_of_range)  # SQLite: integer beyond 64 bits
    app.add_exception_handler(DataError, _value_out_of_range)  # PostgreSQL: numeric value out of range, …
    app.add_exception_handler(Exception, _unexpected_error)
