import pytest

from domain.errors import InvalidInput
from domain.routing import PROJECT_TYPES, ProjectFacts, RoutingConfig, route

# The routing of docs/domain.md (seed notice section 一), written out independently of the shipped file.
CFG = RoutingConfig(
    by_project_type={
        "housing_municipal": "housing",
        "transport": "transport",
        "water": "water",
        "mine_processing": "industry",
        "mine": "emergency",
        "tourism": "culture_tourism",
        "education": "education",
        "health": "health",
        "agriculture": "agriculture",
        "forestry": "forestry",
        "other": "hrss",
    },
    township_types=("rural_housing",),
    township_if_no_permit=True,
    township_if_collective_land=True,
    default_unit="hrss",
    co_handler="hrss",
)


def project(type_="housing_municipal", *, township="ekou", has_permit=True, land="state", gov=False):
    return ProjectFacts(type=type_, township=township, has_permit=has_permit, land=land, government_invested=gov)


@pytest.mark.parametrize(
    ("project_type", "lead"),
    [
        ("housing_municipal", "housing"),
        ("transport", "transport"),
        ("water", "water"),
        ("mine_processing", "industry"),
        ("mine", "emergency"),
        ("tourism", "culture_tourism"),
        ("education", "education"),
        ("health", "health"),
        ("agriculture", "agriculture"),
        ("forestry", "forestry"),
    ],
)
def test_permitted_project_on_state_land_goes_to_its_industry_unit_with_hrss_co_handling(project_type, lead):
    result = route(project(project_type), CFG)
    assert result.lead_unit == lead
    assert result.co_units == ("hrss",)
    assert "行业主管部门" in result.reason
    assert PROJECT_TYPES[project_type] in result.reason


def test_other_employer_goes_to_labour_inspection_without_co_units():
    result = route(project("other"), CFG)
    assert result.lead_unit == "hrss"
    assert result.co_units == ()
    assert "劳动保障监察" in result.reason


def test_no_project_goes_to_default_unit():
    result = route(None, CFG)
    assert (result.lead_unit, result.co_units) == ("hrss", ())
    assert "未关联" in result.reason


def test_no_permit_goes_to_the_township():
    result = route(project("transport", township="zaolin", has_permit=False), CFG)
    assert (result.lead_unit, result.co_units) == ("zaolin", ("hrss",))
    assert "施工许可证" in result.reason


def test_collective_land_goes_to_the_township():
    result = route(project("water", township="huyu", land="collective"), CFG)
    assert (result.lead_unit, result.co_units) == ("huyu", ("hrss",))
    assert "非国有土地" in result.reason


def test_rural_housing_always_goes_to_the_township():
    result = route(project("rural_housing", township="xingao"), CFG)
    assert (result.lead_unit, result.co_units) == ("xingao", ("hrss",))
    assert "新民居" in result.reason


def test_township_rule_without_a_township_falls_back_to_the_industry_rule():
    result = route(project("transport", township=None, has_permit=False), CFG)
    assert (result.lead_unit, result.co_units) == ("transport", ("hrss",))
    assert "未填写项目所在乡" in result.reason


def test_rural_housing_without_a_township_falls_back_to_default_unit():
    result = route(project("rural_housing", township=None), CFG)
    assert (result.lead_unit, result.co_units) == ("hrss", ())


def test_township_rules_can_be_switched_off():
    cfg = RoutingConfig(
        by_project_type=CFG.by_project_type,
        township_types=(),
        township_if_no_permit=False,
        township_if_collective_land=False,
        default_unit="hrss",
        co_handler="hrss",
    )
    assert route(project("mine", has_permit=False, land="collective"), cfg).lead_unit == "emergency"
    assert route(project("rural_housing"), cfg).lead_unit == "hrss"


def test_co_handler_is_added_whenever_it_does_not_lead():
    cfg = RoutingConfig(
        by_project_type={"other": "hrss"},
        township_types=(),
        township_if_no_permit=True,
        township_if_collective_land=True,
        default_unit="hrss",
        co_handler="petition",
    )
    assert route(None, cfg).co_units == ("petition",)
    assert route(project("other"), cfg).co_units == ("petition",)
    # A type missing from by_project_type falls back to the default unit.
    assert route(project("mine"), cfg).lead_unit == "hrss"


def test_unknown_project_type_or_land_is_invalid_input():
    with pytest.raises(InvalidInput, match="project type"):
        route(project("spaceport"), CFG)
    with pytest.raises(InvalidInput, match="land type"):
        route(project(land="leased"), CFG)


@pytest.mark.parametrize(("project_type", "lead"), [("mine", "emergency"), ("mine_processing", "industry")])
def test_a_mine_or_processing_plant_without_permit_stays_with_its_industry_unit(project_type, lead):
    cfg = RoutingConfig(**{**CFG.__dict__, "not_construction_types": ("mine", "mine_processing")})
    for facts in (project(project_type, has_permit=False), project(project_type, land="collective")):
        assert route(facts, cfg).lead_unit == lead
    # a construction project without a permit still goes to its township
    assert route(project("housing_municipal", has_permit=False), cfg).lead_unit == "ekou"


def test_a_policy_recorded_without_the_rule_keeps_the_township_routing_of_a_mine():
    assert route(project("mine", has_permit=False), CFG).lead_unit == "ekou"


def test_the_shipped_jurisdiction_routes_a_mine_without_permit_to_emergency():
    from pathlib import Path

    from core.jurisdiction import load_jurisdiction

    cfg = load_jurisdiction(Path(__file__).resolve().parents[2] / "jurisdictions" / "daixian.yaml").routing
    assert route(project("mine", has_permit=False), cfg).lead_unit == "emergency"
    assert route(project("mine_processing", has_permit=False), cfg).lead_unit == "industry"
