"""The input types of api.inputs as plain functions: names, text and amounts (no server needed)."""

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from api.inputs import WEB_FORM, AmountIn, Name, PlainDecimal, Text, normalise_amount


class Body(BaseModel):
    name: Name | None = None
    text: Text | None = None
    amount: AmountIn | None = None
    contract: PlainDecimal | None = None


def error_of(**fields) -> str:
    with pytest.raises(ValidationError) as caught:
        Body.model_validate(fields)
    [error] = caught.value.errors()
    return f"{error['loc'][0]}: {error['msg']}"


@pytest.mark.parametrize(
    "name",
    [
        "王秀英",
        "山西某劳务有限公司（分公司）",
        "阿卜杜热合曼·艾力",
        "O'Brien-Smith 建筑",
        "𠮷野家",
        "\ue000祥",
        "  张三  ",
    ],
)
def test_names_people_type_are_kept(name):
    assert Body(name=name).name == name.strip()


@pytest.mark.parametrize(
    "name, why",
    [
        ("\u200b\u200b", "invisible character U+200B"),
        ("\ufeff", "U+FEFF"),
        ("王\u0085秀英", "control character U+0085"),
        ("李\u007f建国", "control character U+007F"),
        ("代县\u009b公司", "U+009B"),
        ("山西\u202e司公", "U+202E"),
        ("a\u2066b", "U+2066"),
        ("山西\u2028某公司", "U+2028"),
        ("王\t秀英", "U+0009"),
        ("王\n秀英", "U+000A"),
        ("\u0301", "no visible character"),
        ("   ", "at least 1 character"),
    ],
)
def test_names_without_a_visible_character_or_with_hidden_ones_are_refused_saying_why(name, why):
    assert why in error_of(name=name)


def test_names_are_nfc_normalised():
    assert Body(name="e\u0301").name == "\u00e9"


def test_text_may_span_lines_but_hides_nothing():
    assert Body(text="第一行\n\t第二行").text == "第一行\n\t第二行"
    assert "no visible character" in error_of(text="\u200b")
    assert "U+FEFF" in error_of(text="说明\ufeff")


@pytest.mark.parametrize(
    "amount, expected",
    [
        ("12000", "12000"),
        ("12000.50", "12000.50"),
        (" 36000.00 ", "36000.00"),
        (12000, "12000"),
        (12000.5, "12000.5"),
        ("+100", "100"),
    ],
)
def test_amounts_in_plain_decimal_notation(amount, expected):
    assert Body(amount=amount).amount == Decimal(expected)


@pytest.mark.parametrize(
    "amount",
    [
        "1_000",
        "\u0661\u0660\u0660",
        "1e2",
        "1E2",
        "0x10",
        "1 000",
        "12,000.50",
        "１２０００",
        "12000元",
        "",
        ".5",
        "5.",
        "NaN",
        "Infinity",
        "--1",
    ],
)
def test_other_notations_are_refused_in_json_naming_the_field(amount):
    message = error_of(amount=amount)
    assert message.startswith("amount: ") and "plain decimal digits" in message
    assert "plain decimal digits" in error_of(contract=amount)


@pytest.mark.parametrize(
    "written, plain",
    [
        ("12,000.50", "12000.50"),
        ("12,000.50元", "12000.50"),
        ("１２，０００．５０", "12000.50"),
        ("￥12000", "12000"),
        ("¥ 1,234,567", "1234567"),
        ("人民币3000元", "3000"),
        ("12000", "12000"),
    ],
)
def test_web_forms_may_opt_into_amounts_as_written_on_paper(written, plain):
    assert normalise_amount(written) == plain
    assert Body.model_validate({"amount": written}, context=WEB_FORM).amount == Decimal(plain)


@pytest.mark.parametrize("written", ["1,2000", "12,00.5", "1_000", "\u0661\u0660\u0660", "1e2", "12 000"])
def test_web_forms_still_refuse_what_is_no_amount(written):
    with pytest.raises(ValidationError, match="plain decimal digits"):
        Body.model_validate({"amount": written}, context=WEB_FORM)
