import copy
from datetime import date
from decimal import Decimal

import pytest
import yaml

from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from domain.errors import InvalidInput
from domain.jurisdiction import REQUIRED_DEADLINES, JurisdictionError, jurisdiction_from_dict
from domain.routing import ProjectFacts, route
from domain.rules import PeriodUnit

CONTRACT_UNITS = (
    "hrss petition housing transport water development finance industry emergency market police court "
    "procuratorate justice education health agriculture forestry civil_affairs union culture_tourism "
    "publicity pboc"
).split()
TOWNSHIPS = "shangguan ekou yangmingbao zaolin nieying tanshang yanmenguan shangmofang xingao yukou huyu".split()

SHIPPED = load_jurisdiction(DEFAULT_JURISDICTION)
RAW = yaml.safe_load(DEFAULT_JURISDICTION.read_text(encoding="utf-8"))
SOURCE = "jurisdictions/daixian.yaml"


def build(mutate):
    """The shipped data, changed by mutate(data), validated as if read from SOURCE."""
    data = copy.deepcopy(RAW)
    mutate(data)
    return jurisdiction_from_dict(data, source=SOURCE)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def extending(tmp_path, override):
    """A file in tmp_path that extends the shipped file with the given YAML text."""
    return write(tmp_path, "county.yaml", f"extends: {DEFAULT_JURISDICTION}\n{override}")


# --- the shipped Dai County file ---


def test_shipped_file_names_the_county_and_its_office():
    assert (SHIPPED.name, SHIPPED.short_name, SHIPPED.full_name) == ("代县", "代县", "代县人民政府")
    assert SHIPPED.case_prefix == "DX"
    assert SHIPPED.office_unit == "hrss"
    assert "领导小组办公室" in SHIPPED.office_name


def test_shipped_file_has_every_contract_unit_and_township():
    assert set(CONTRACT_UNITS + TOWNSHIPS) <= set(SHIPPED.units)
    assert [unit.code for unit in SHIPPED.townships()] == TOWNSHIPS
    assert SHIPPED.unit_name("hrss") == "县人力资源和社会保障局"
    assert SHIPPED.unit_name("yanmenguan") == "雁门关镇"
    assert {SHIPPED.units[code].kind for code in ("police", "court", "procuratorate")} == {"judicial"}
    with pytest.raises(KeyError, match="no unit with code 'nowhere'"):
        SHIPPED.unit_name("nowhere")


def test_shipped_file_has_every_required_deadline_with_a_basis():
    for name in REQUIRED_DEADLINES:
        rule = SHIPPED.rule(name)
        assert rule.name == name
        assert rule.basis.strip(), name
    with pytest.raises(KeyError, match="no deadline rule 'nap'.*acknowledge"):
        SHIPPED.rule("nap")


@pytest.mark.parametrize(
    ("name", "unit", "amount", "extension"),
    [
        ("acknowledge", PeriodUnit.WORKING_DAYS, 5, None),
        ("investigate", PeriodUnit.WORKING_DAYS, 60, 30),
        ("order_payment", PeriodUnit.CALENDAR_DAYS, 7, None),
        ("police_approval", PeriodUnit.CALENDAR_DAYS, 3, None),
        ("police_transfer", PeriodUnit.HOURS, 24, None),
        ("police_review", PeriodUnit.CALENDAR_DAYS, 3, None),
        ("deposit_payout", PeriodUnit.WORKING_DAYS, 5, None),
        ("deposit_replenish", PeriodUnit.WORKING_DAYS, 10, None),
        ("blacklist_decision", PeriodUnit.WORKING_DAYS, 20, 20),
        ("escalation_step", PeriodUnit.WORKING_DAYS, 2, None),
        ("major_case_dispatch", PeriodUnit.CALENDAR_DAYS, 7, None),
    ],
)
def test_shipped_deadline_figures(name, unit, amount, extension):
    rule = SHIPPED.rule(name)
    assert (rule.unit, rule.amount, rule.extension_working_days) == (unit, amount, extension)


def test_shipped_bases_cite_the_law_and_keep_check_marks():
    assert "劳动保障监察条例" in SHIPPED.rule("acknowledge").basis
    assert "第18条" in SHIPPED.rule("acknowledge").basis
    assert "第17条" in SHIPPED.rule("investigate").basis
    for name in ("acknowledge", "deposit_payout", "deposit_replenish"):
        assert "(check)" in SHIPPED.rule(name).basis, name
    assert "(check)" not in SHIPPED.rule("investigate").basis
    assert "非法定" in SHIPPED.rule("escalation_step").basis


def test_shipped_thresholds():
    t = SHIPPED.thresholds
    assert (t.crime_amount_per_worker, t.crime_amount_total) == (Decimal("5000"), Decimal("30000"))
    assert isinstance(t.crime_amount_per_worker, Decimal)
    assert (t.crime_months_unpaid, t.crime_workers_total) == (3, 10)
    assert (t.major_case_workers, t.major_case_amount) == (30, Decimal("500000"))
    assert (t.deposit_ratio_min, t.deposit_ratio_max) == (Decimal(1), Decimal(3))
    assert t.closure_rate_target == Decimal(95)


def test_shipped_calendar_and_escalation():
    assert SHIPPED.calendar.unknown_year == "provisional"
    assert SHIPPED.calendar.extra_holidays == () and SHIPPED.calendar.extra_workdays == ()
    assert SHIPPED.escalation.levels == ("unit_head", "office", "leader")
    assert SHIPPED.rule(SHIPPED.escalation.step).name == "escalation_step"


@pytest.mark.parametrize(
    ("project_type", "has_permit", "land", "lead"),
    [
        ("housing_municipal", True, "state", "housing"),
        ("transport", True, "state", "transport"),
        ("water", True, "state", "water"),
        ("mine_processing", True, "state", "industry"),
        ("mine", True, "state", "emergency"),
        ("tourism", True, "state", "culture_tourism"),
        ("education", True, "state", "education"),
        ("health", True, "state", "health"),
        ("agriculture", True, "state", "agriculture"),
        ("forestry", True, "state", "forestry"),
        ("other", True, "state", "hrss"),
        ("rural_housing", True, "state", "ekou"),
        ("housing_municipal", False, "state", "ekou"),
        ("transport", True, "collective", "ekou"),
    ],
)
def test_shipped_routing_follows_the_seed_notice(project_type, has_permit, land, lead):
    facts = ProjectFacts(
        type=project_type, township="ekou", has_permit=has_permit, land=land, government_invested=False
    )
    result = route(facts, SHIPPED.routing)
    assert result.lead_unit == lead
    assert lead in SHIPPED.units
    assert result.co_units == (() if lead == "hrss" else ("hrss",))


# --- validation of parsed data (jurisdiction_from_dict) ---


def test_two_periods_in_one_rule_error_message_names_file_key_and_what_was_found():
    def mutate(data):
        data["deadlines"]["acknowledge"]["hours"] = 8

    with pytest.raises(JurisdictionError) as info:
        build(mutate)
    assert str(info.value) == (
        "jurisdictions/daixian.yaml: deadlines.acknowledge: needs exactly one of working_days, "
        "calendar_days, months, hours, duration (found: working_days, hours)"
    )
    assert isinstance(info.value, InvalidInput)
    assert (info.value.source, info.value.key_path) == (SOURCE, "deadlines.acknowledge")


@pytest.mark.parametrize(
    ("mutate", "key_path", "fragment"),
    [
        (lambda d: d["deadlines"]["acknowledge"].pop("working_days"), "deadlines.acknowledge", "found: none"),
        (
            lambda d: d["deadlines"]["police_review"].update(calendar_days=0),
            "deadlines.police_review.calendar_days",
            "positive",
        ),
        (
            lambda d: d["deadlines"]["police_review"].update(calendar_days=2.5),
            "deadlines.police_review.calendar_days",
            "whole number",
        ),
        (
            lambda d: d["deadlines"]["investigate"].update(extension_working_days=-1),
            "deadlines.investigate.extension_working_days",
            "positive",
        ),
        (lambda d: d["deadlines"]["acknowledge"].update(basis="  "), "deadlines.acknowledge.basis", "non-empty"),
        (lambda d: d["deadlines"]["acknowledge"].pop("basis"), "deadlines.acknowledge.basis", "required"),
        (
            lambda d: d["deadlines"].update(acknowledge={"duration": "soon", "basis": "x"}),
            "deadlines.acknowledge.duration",
            "ISO 8601",
        ),
        (lambda d: d["deadlines"].pop("police_transfer"), "deadlines", "missing required rules: police_transfer"),
        (lambda d: d["routing"].update(default_unit="labour"), "routing.default_unit", "unknown unit 'labour'"),
        (
            lambda d: d["routing"]["township_types"].append("castle"),
            "routing.township_types[1]",
            "unknown project type",
        ),
        (lambda d: d["routing"].update(township_if_no_permit="yes"), "routing.township_if_no_permit", "true or false"),
        (lambda d: d["units"]["hrss"].update(kind="ministry"), "units.hrss.kind", "not one of"),
        (lambda d: d["office"].update(unit="cabinet"), "office.unit", "unknown unit"),
        (lambda d: d.update(case_prefix="dx-1"), "case_prefix", "capital letters"),
        (lambda d: d.pop("thresholds"), "thresholds", "required"),
        (lambda d: d["thresholds"].update(crime_amount_total="lots"), "thresholds.crime_amount_total", "number"),
        (
            lambda d: d["thresholds"].update(crime_amount_per_worker=-5000),
            "thresholds.crime_amount_per_worker",
            "positive",
        ),
        (lambda d: d["thresholds"].update(deposit_ratio_min=5), "thresholds.deposit_ratio_min", "greater than"),
        (lambda d: d["thresholds"].update(crime_workrs_total=10), "thresholds.crime_workrs_total", "unknown key"),
        (lambda d: d["calendar"].update(unknown_year="guess"), "calendar.unknown_year", "not one of"),
        (lambda d: d["calendar"].update(extra_holidays=["2031-13-01"]), "calendar.extra_holidays[0]", "not a date"),
        (lambda d: d["escalation"].update(step="nudge"), "escalation.step", "names no rule"),
        (lambda d: d.update(motto="根治欠薪"), "motto", "unknown key"),
    ],
)
def test_invalid_data_is_refused_with_the_key_path(mutate, key_path, fragment):
    with pytest.raises(JurisdictionError) as info:
        build(mutate)
    assert info.value.key_path == key_path
    assert fragment in info.value.detail
    assert str(info.value).startswith(f"{SOURCE}: {key_path}: ")


def test_duration_and_string_amounts_and_dates_are_parsed():
    def mutate(data):
        data["deadlines"]["acknowledge"] = {"duration": "PT1M30S", "basis": "drill"}
        data["thresholds"]["crime_amount_per_worker"] = "20000.50"
        data["calendar"]["extra_holidays"] = ["2030-10-09", date(2030, 10, 10)]
        data["calendar"]["extra_workdays"] = ["2030-10-12"]

    j = build(mutate)
    assert (j.rule("acknowledge").unit, j.rule("acknowledge").duration_seconds) == (PeriodUnit.DURATION, 90.0)
    assert j.thresholds.crime_amount_per_worker == Decimal("20000.50")
    assert j.calendar.extra_holidays == (date(2030, 10, 9), date(2030, 10, 10))
    assert j.calendar.extra_workdays == (date(2030, 10, 12),)


def test_a_period_in_months_is_parsed():
    def mutate(data):
        data["deadlines"]["investigate"] = {"months": 6, "basis": "行政诉讼法 第46条"}

    rule = build(mutate).rule("investigate")
    assert (rule.unit, rule.amount, rule.describe()) == (PeriodUnit.MONTHS, 6, "6个月")


# --- the loader (files, extends) ---


def test_extends_overrides_one_rule_and_keeps_everything_else(tmp_path):
    path = extending(tmp_path, "deadlines:\n  acknowledge:\n    duration: PT30S\n")
    j = load_jurisdiction(path)
    ack = j.rule("acknowledge")
    assert (ack.unit, ack.duration_seconds, ack.amount) == (PeriodUnit.DURATION, 30.0, 0)
    assert ack.basis == SHIPPED.rule("acknowledge").basis
    assert {k: v for k, v in j.deadlines.items() if k != "acknowledge"} == {
        k: v for k, v in SHIPPED.deadlines.items() if k != "acknowledge"
    }
    assert j.units == SHIPPED.units
    assert j.routing == SHIPPED.routing
    assert j.thresholds == SHIPPED.thresholds
    assert (j.name, j.case_prefix, j.office_unit) == (SHIPPED.name, SHIPPED.case_prefix, SHIPPED.office_unit)


def test_extends_chain_merges_dicts_and_replaces_lists(tmp_path):
    write(
        tmp_path,
        "province.yaml",
        f"extends: {DEFAULT_JURISDICTION}\nthresholds:\n  crime_amount_per_worker: 8000\n"
        "calendar:\n  extra_holidays: [2030-01-02]\n",
    )
    county = write(
        tmp_path,
        "sub/county.yaml",
        "extends: ../province.yaml\nname: 样例县\ncase_prefix: YL\n"
        "units:\n  newtown: {name: 新城镇, kind: township}\n"
        "calendar:\n  extra_holidays: [2030-01-03]\n",
    )
    j = load_jurisdiction(county)
    assert (j.name, j.case_prefix, j.full_name) == ("样例县", "YL", "代县人民政府")
    assert j.thresholds.crime_amount_per_worker == Decimal(8000)
    assert j.thresholds.crime_amount_total == SHIPPED.thresholds.crime_amount_total
    assert j.townships()[-1].code == "newtown"
    assert len(j.units) == len(SHIPPED.units) + 1
    assert j.calendar.extra_holidays == (date(2030, 1, 3),)


def test_extends_cycle_is_reported(tmp_path):
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    a = tmp_path / "a.yaml"
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    with pytest.raises(JurisdictionError, match="extends cycle") as info:
        load_jurisdiction(a)
    assert info.value.source == str(a)
    assert info.value.key_path == "extends"
    assert str(info.value).count("a.yaml") >= 3  # source, start and end of the cycle


@pytest.mark.parametrize(
    ("override", "key_path", "fragment"),
    [
        (
            "routing:\n  by_project_type:\n    water: waterworks\n",
            "routing.by_project_type.water",
            "unknown unit 'waterworks'",
        ),
        (
            "deadlines:\n  police_review: {calendar_days: 3, hours: 2}\n",
            "deadlines.police_review",
            "found: calendar_days, hours",
        ),
        ("deadlines:\n  investigate: {working_days: -60}\n", "deadlines.investigate.working_days", "positive"),
        ("deadlines:\n  acknowledge: {workng_days: 3}\n", "deadlines.acknowledge.workng_days", "unknown key"),
        (
            "thresholds:\n  crime_amount_total: 30000\n  crime_amount_total: 40000\n",
            "",
            "duplicate key 'crime_amount_total'",
        ),
        ("name: a: b\n", "", "YAML syntax error at line 2"),
    ],
)
def test_bad_files_name_the_file_and_the_key(tmp_path, override, key_path, fragment):
    path = extending(tmp_path, override)
    with pytest.raises(JurisdictionError) as info:
        load_jurisdiction(path)
    assert info.value.source == str(path)
    assert info.value.key_path == key_path
    assert fragment in str(info.value)
    assert str(info.value).startswith(str(path))


def test_syntax_error_in_an_extended_file_names_that_file(tmp_path):
    write(tmp_path, "base.yaml", "units: {hrss: \n")
    top = write(tmp_path, "top.yaml", "extends: base.yaml\n")
    with pytest.raises(JurisdictionError, match="YAML syntax error") as info:
        load_jurisdiction(top)
    assert str(info.value).startswith(str(top))
    assert "base.yaml" in info.value.detail


def test_missing_file_and_missing_base_are_reported(tmp_path):
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(JurisdictionError, match="file not found") as info:
        load_jurisdiction(missing)
    assert str(info.value).startswith(str(missing))

    top = write(tmp_path, "top.yaml", "extends: gone.yaml\n")
    with pytest.raises(JurisdictionError, match="file not found.*gone.yaml") as info:
        load_jurisdiction(top)
    assert info.value.key_path == "extends"


def test_top_level_must_be_a_mapping(tmp_path):
    path = write(tmp_path, "list.yaml", "- hrss\n- housing\n")
    with pytest.raises(JurisdictionError, match="mapping"):
        load_jurisdiction(path)
