"""Exception handlers: every error is JSON with a stable `code`, a `message` and `detail` (the same text);
422s also list `errors` by field. The message is Chinese for `Accept-Language: zh…`, English otherwise."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.texts import validation_message
from domain import texts
from domain.errors import (
    CalendarUnknown,
    DomainError,
    Forbidden,
    InvalidInput,
    NotAllowedNow,
)

_DOMAIN_STATUS: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotAllowedNow: 409,
    Forbidden: 403,
    CalendarUnknown: 503,  # the jurisdiction must publish the year's calendar first
}
_KIND_STATUS = {"key_required": 428}  # api.case_service.KeyRequired: an action that moves money without a key
_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    428: "precondition_required",
    429: "too_many_requests",
    503: "unavailable",
}
_SUMMARY_FIELDS = 3


def language(request: Request) -> str:
    """'zh' when the client asks for Chinese first, else 'en'."""
    accepted = request.headers.get("accept-language", "")
    first = accepted.split(",")[0].strip().lower()
    return "zh" if first.startswith("zh") else "en"


def _body(code: str, message: str, **extra) -> dict:
    return {"code": code, "message": message, "detail": message, **extra}


def _field_errors(exc: RequestValidationError | ValidationError, lang: str, prefix: tuple = ()) -> list[dict]:
    errors = []
    for error in exc.errors():
        loc = prefix + tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            # loc is ("body", <character position>)
            reason = (error.get("ctx") or {}).get("error", "decode error")
            position = f" at character {loc[1]}" if len(loc) > 1 else ""
            message = "请求内容不是有效的JSON" if lang == "zh" else f"the body is not valid JSON: {reason}{position}"
            errors.append({"field": "body", "message": message})
            continue
        if error.get("type") in texts.TEXTS:  # a domain check at the edge: said by its code
            message = texts.text(error["type"], error.get("ctx") or {}, lang)
        elif lang == "zh":
            message = validation_message(error)
        else:
            message = error.get("msg", "invalid").removeprefix("Value error, ")
        errors.append({"field": ".".join(str(part) for part in loc), "message": message})
    return errors


def _summary(errors: list[dict[str, str]], lang: str) -> str:
    count = len(errors)
    parts = [f"{e['field']}: {e['message']}" for e in errors[:_SUMMARY_FIELDS]]
    more = "; …" if count > _SUMMARY_FIELDS else ""
    if lang == "zh":
        return f"{count} 项输入有误：" + "；".join(parts) + more
    noun = "invalid field" if count == 1 else "invalid fields"
    return f"{count} {noun}: " + "; ".join(parts) + more


def _invalid(errors: list[dict], lang: str) -> JSONResponse:
    return JSONResponse(status_code=422, content=_body("invalid_input", _summary(errors, lang), errors=errors))


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    return _invalid(_field_errors(exc, language(request)), language(request))


def validation_error_response(request: Request, exc: ValidationError, *, prefix: str) -> JSONResponse:
    """The 422 response for a body validated by hand (same shape as FastAPI's own validation)."""
    lang = language(request)
    return _invalid(_field_errors(exc, lang, (prefix,)), lang)


async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
    lang = language(request)
    status = next(
        (code for kind, code in _DOMAIN_STATUS.items() if isinstance(exc, kind)), _KIND_STATUS.get(exc.kind, 409)
    )
    message = exc.text(lang)
    if status != 422:
        return JSONResponse(status_code=status, content=_body(exc.code, message, params=exc.params))
    errors = [{"field": exc.field, "message": message}] if exc.field else []
    summary = _summary(errors, lang) if errors else message
    return JSONResponse(status_code=status, content=_body(exc.code, summary, errors=errors, params=exc.params))


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
    code = _HTTP_CODES.get(exc.status_code, "error")
    content = _body(code, detail) if isinstance(detail, str) else {"code": code, "detail": detail}
    return JSONResponse(status_code=exc.status_code, content=content, headers=getattr(exc, "headers", None))


async def _value_out_of_range(_request: Request, _exc: Exception) -> JSONResponse:
    # The database refused a value from the request (an id or offset beyond 64 bits, say); nothing was
    # written, since the session rolls back.
    return JSONResponse(
        status_code=422,
        content=_body("out_of_range", "a number or text in the request is out of the range the database can store"),
    )


async def _unexpected_error(_request: Request, _exc: Exception) -> JSONResponse:
    # Starlette re-raises the exception after this response, so the server still logs it.
    return JSONResponse(status_code=500, content=_body("internal_error", "internal server error"))


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the same JSON shape."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OverflowError, _value_out_of_range)  # SQLite: integer beyond 64 bits
    app.add_exception_handler(DataError, _value_out_of_range)  # PostgreSQL: numeric value out of range, …
    app.add_exception_handler(Exception, _unexpected_error)
