"""Which unit leads a case and which co-handle it (首问负责制; seed notice section 一)."""

from dataclasses import dataclass, field

from domain.errors import InvalidInput

# Project types of the integration contract, with the words county staff use.
PROJECT_TYPES: dict[str, str] = {
    "housing_municipal": "房屋建筑和市政基础设施工程",
    "transport": "交通运输工程",
    "water": "水利工程",
    "mine_processing": "非煤矿山企业（选厂）",
    "mine": "非煤矿山企业（矿山）",
    "tourism": "旅游开发项目",
    "education": "教育系统单位和建设项目",
    "health": "卫生健康系统单位和建设项目",
    "agriculture": "农业农村系统单位和建设项目",
    "forestry": "林业系统单位和建设项目",
    "rural_housing": "新民居、城中村改造、小产权房项目",
    "other": "其他用人单位",
}

LAND_TYPES: dict[str, str] = {"state": "国有土地", "collective": "集体土地（非国有土地）"}


@dataclass(frozen=True)
class RoutingConfig:
    """A jurisdiction's routing rules: industry units by project type and when the township leads."""

    by_project_type: dict[str, str]
    township_types: tuple[str, ...]
    township_if_no_permit: bool
    township_if_collective_land: bool
    default_unit: str
    co_handler: str
    # Types that are not construction projects (a mine, a processing plant): the township rules for
    # construction projects without a permit or on collective land do not apply to them. Empty by
    # default, so a case opened under a policy recorded before this rule keeps the routing it had.
    not_construction_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProjectFacts:
    """What routing needs to know about the project a complaint concerns."""

    type: str
    township: str | None
    has_permit: bool
    land: str  # "state" | "collective"
    government_invested: bool


@dataclass(frozen=True)
class Routing:
    """The routing decision: lead unit (主办), co-handling units (协办) and why, in Chinese."""

    lead_unit: str
    co_units: tuple[str, ...] = field(default=())
    reason: str = ""


def _township_reason(project: ProjectFacts, cfg: RoutingConfig) -> str | None:
    """Why the township leads, or None when no township rule applies (seed notice section 一)."""
    if project.type in cfg.township_types:
        return "新民居、城中村改造、小产权房等项目由项目所在地乡（镇）政府负总责"
    if project.type in cfg.not_construction_types:
        return None  # the permit and land rules are for construction projects (建设项目)
    if cfg.township_if_no_permit and not project.has_permit:
        return "未取得施工许可证或批准开工报告的建设项目由项目所在地乡（镇）政府组织处理"
    if cfg.township_if_collective_land and project.land == "collective":
        return "非国有土地上的建设项目由项目所在地乡（镇）政府负总责"
    return None


def _industry_routing(project: ProjectFacts, cfg: RoutingConfig) -> tuple[str, str]:
    """Lead unit and reason under 谁批准开工谁负责、谁监管谁负责."""
    unit = cfg.by_project_type.get(project.type)
    if unit is None or unit == cfg.default_unit:
        return cfg.default_unit, "一般用人单位拖欠工资由劳动保障监察机构查处（谁用工谁负责）"
    label = PROJECT_TYPES[project.type]
    return unit, f"{label}由行业主管部门牵头处理（谁批准开工谁负责、谁监管谁负责）"


def _with_co_handler(lead: str, reason: str, cfg: RoutingConfig) -> Routing:
    co_units = (cfg.co_handler,) if lead != cfg.co_handler else ()
    return Routing(lead_unit=lead, co_units=co_units, reason=reason)


def route(project: ProjectFacts | None, cfg: RoutingConfig) -> Routing:
    """Decide the lead and co-handling units of a case from its project (or lack of one)."""
    if project is None:
        return _with_co_handler(cfg.default_unit, "未关联建设项目，由劳动保障监察机构查处（谁用工谁负责）", cfg)
    if project.type not in PROJECT_TYPES:
        raise InvalidInput(
            code="unknown_project_type", field="type", value=project.type, known=", ".join(PROJECT_TYPES)
        )
    if project.land not in LAND_TYPES:
        raise InvalidInput(code="unknown_land_type", field="land", value=project.land, known=", ".join(LAND_TYPES))

    township_reason = _township_reason(project, cfg)
    if township_reason is not None and project.township:
        return _with_co_handler(project.township, township_reason, cfg)

    lead, reason = _industry_routing(project, cfg)
    if township_reason is not None:
        # The township rule applies but the township is unknown: the industry rule decides for now.
        reason = f"{township_reason}，但未填写项目所在乡（镇），暂按行业归口：{reason}"
    return _with_co_handler(lead, reason, cfg)
