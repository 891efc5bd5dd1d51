"""提升工程 pilots per period (`ability config`, `ability show`): the city names the pilot
districts and subjects (选课指引: "培训对象为越秀、海珠、荔湾、天河和增城5个试点区的英语、化学、
…学科教师"); a teacher is a pilot teacher when both their school's district and their 任教学科
are named. Pilots per period = districts × subjects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from jjadmin.errors import InvalidValue, NotFound
from jjadmin.models import AbilityConfig
from jjadmin.rules.codes import parse_period_code
from jjadmin.rules.enums import districts as district_names
from jjadmin.rules.enums import value_list
from jjadmin.rules.ids import normalize_text
from jjadmin.services import audit
from jjadmin.services.context import ServiceContext
from jjadmin.services.period_lookup import get_period


@dataclass(frozen=True)
class PilotView:
    period: str
    districts: list[dict[str, str]]  # code, name
    subjects: list[str]
    pilots: int  # districts × subjects
    updated_at: datetime


def _split(values: Sequence[str] | str) -> list[str]:
    items = [values] if isinstance(values, str) else list(values)
    out: list[str] = []
    for item in items:
        for part in str(item).replace("，", ",").replace("、", ",").split(","):
            text = normalize_text(part)
            if text and text not in out:
                out.append(text)
    return out


def _districts(values: Sequence[str] | str) -> list[str]:
    known = district_names()
    by_name = {name: code for code, name in known.items()}
    out: list[str] = []
    for v in _split(values):
        code = v if v in known else by_name.get(v) or by_name.get(v + "区")
        if code is None:
            raise InvalidValue(f"区代码（或区名）无效：{v}", code="district-unknown")
        if code not in out:
            out.append(code)
    if not out:
        raise InvalidValue("请至少指定一个试点区（--districts 440103,440104）", code="required")
    return out


def _subjects(values: Sequence[str] | str) -> list[str]:
    allowed = value_list("任教学科")
    out = _split(values)
    bad = [s for s in out if s not in allowed]
    if bad:
        raise InvalidValue(
            f"任教学科不在取值范围内：{'、'.join(bad)}（可选：{'、'.join(allowed)}）",
            code="value-not-in-list",
        )
    if not out:
        raise InvalidValue("请至少指定一个试点学科（--subjects 英语,物理）", code="required")
    return out


def _view(config: AbilityConfig) -> PilotView:
    names = district_names()
    return PilotView(
        config.period,
        [{"code": c, "name": names.get(c, c)} for c in config.districts],
        list(config.subjects),
        len(config.districts) * len(config.subjects),
        config.updated_at,
    )


def configure_pilot(
    ctx: ServiceContext,
    *,
    period: str,
    districts: Sequence[str] | str,
    subjects: Sequence[str] | str,
) -> PilotView:
    """Set the period's pilot districts and subjects (replacing earlier ones); city only.

    Raises PermissionDenied (3), InvalidValue (1), NotFound (4, no such period).
    """
    actor = ctx.require("city", action="设置能力提升工程试点")
    code = parse_period_code(period)
    d, s = _districts(districts), _subjects(subjects)
    with ctx.transaction() as session:
        get_period(session, code)
        config = session.get(AbilityConfig, code)
        before = None
        if config is None:
            config = AbilityConfig(period=code, districts=d, subjects=s, updated_at=ctx.now)
            session.add(config)
        else:
            before = {"districts": list(config.districts), "subjects": list(config.subjects)}
            config.districts, config.subjects, config.updated_at = d, s, ctx.now
        audit.record(
            session,
            actor,
            ctx.now,
            "ability.config",
            "period",
            code,
            before=before,
            after={"districts": d, "subjects": s},
        )
        session.flush()
        return _view(config)


def show_pilot(ctx: ServiceContext, *, period: str) -> PilotView:
    """The period's pilot (any administrator or teacher may read it).

    Raises NotFound (4, no such period or no pilot set).
    """
    ctx.require("city", "district", "school", "institution", "teacher", action="查看试点设置")
    code = parse_period_code(period)
    with ctx.reading() as session:
        get_period(session, code)
        config = session.get(AbilityConfig, code)
        if config is None:
            raise NotFound(
                f"{code} 期未设置能力提升工程试点",
                hint=f"市级培训中心设置：jjadmin ability config --period {code} "
                "--districts 区代码,… --subjects 学科,…",
            )
        return _view(config)
