"""Invalid input said in Chinese: pydantic's errors by their type, the domain's by their code."""

from domain import texts

FORMAT_HINTS = {
    "id_number": "身份证号码应为18位，最后一位可以是X",
    "phone": "电话号码只能包含数字、空格、+ 和 -（5至20位）",
    "credit_code": "统一社会信用代码为18位数字或大写字母（不含I、O、S、V、Z）",
}


def validation_message(error: dict) -> str:
    """One pydantic error in Chinese (a domain error inside it is said by its code)."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    loc = error.get("loc") or ()
    last = str(loc[-1]) if loc else ""
    if kind in texts.TEXTS:  # raised by a domain check at the edge (api.schemas)
        return texts.text(kind, ctx, "zh")
    if kind in ("missing", "string_too_short"):
        return "必填"
    if kind == "too_short":
        return "至少填写一名农民工" if last == "workers" else "至少填写一项"
    if kind == "string_too_long":
        return f"不能超过 {ctx.get('max_length')} 个字"
    if kind == "string_pattern_mismatch":
        return FORMAT_HINTS.get(last, "格式不正确")
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "finite_number"):
        return "请填写金额（元），如 36000.00"
    if kind in ("decimal_max_places", "multiple_of"):
        return "金额最多保留两位小数"
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return "金额过大"
    if kind == "greater_than":
        return f"必须大于 {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return f"不能小于 {ctx.get('ge')}"
    if kind in ("less_than_equal", "less_than"):
        if last.startswith("amount") or "amount" in last:
            return "金额过大"
        return f"不能大于 {ctx.get('le', ctx.get('lt'))}"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "请填写整数"
    if kind in ("bool_parsing", "bool_type"):
        return "请选择"
    if kind.startswith(("datetime", "date", "timezone")):
        return "请填写正确的日期和时间"
    if kind in ("enum", "literal_error"):
        return "请从列表中选择"
    return str(error.get("msg", "")).removeprefix("Value error, ")
