"""Who a notice goes to (`--to all|district:CODE|school:CODE`) and who may read it.

The city posts to everyone, districts or schools; a district to itself and its schools
(SPEC §6 Notice). A `district:CODE` audience is the district's office and every school of
it; `school:CODE` one school. Recipients are the active operator accounts of the addressed
units; the texts (`--sms`) go to the addressed school admins with a bound mobile (the
seed: "广州市教师远程培训中心会通过手机短信下发每期选课、缴费、学习及验证的相关通知" to
学校继续教育管理员). Teachers of an addressed school read the notice in `me notices`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jjadmin.errors import NotFound, PermissionDenied, UsageError
from jjadmin.rawdb import RawReader
from jjadmin.rules.ids import normalize_text
from jjadmin.services.context import Actor
from jjadmin.services.scope_rules import (
    OUT_OF_SCOPE,
    district_in_scope,
    school_in_scope,
    scope_role,
)

POSTERS = ("city", "district")
READERS = ("city", "system", "district", "school", "institution", "teacher")
OPERATOR_ROLES = ("district", "school", "institution")


@dataclass(frozen=True)
class Target:
    kind: str  # all | district | school
    district_code: str | None = None
    school_id: int | None = None
    label: str = "全部单位"


class _School:
    __slots__ = ("id", "district_code")

    def __init__(self, id_: int, district_code: str) -> None:
        self.id = id_
        self.district_code = district_code


def parse_targets(db: RawReader, actor: Actor, specs: list[str]) -> list[Target]:
    """The audiences `specs` name, checked against the poster's scope (deduplicated).

    Raises UsageError (2: malformed), NotFound (4: no such district or school),
    PermissionDenied (3: a district posting to everyone or to another district's units).
    """
    role = scope_role(actor)
    if not specs:
        specs = ["all"] if role == "city" else [f"district:{actor.district_code}"]
    found: dict[tuple[str, Any], Target] = {}
    for raw in specs:
        spec = normalize_text(raw)
        kind, _, code = spec.partition(":")
        kind, code = kind.strip().lower(), code.strip()
        if kind == "all" and not code:
            if role != "city":
                raise PermissionDenied(
                    "区级管理员只能向本区及本区学校发布公告",
                    hint=f"--to district:{actor.district_code} 或 --to school:学校代码",
                )
            found[("all", None)] = Target("all")
        elif kind == "district" and code:
            name = db.scalar("SELECT name FROM district WHERE code = :c", {"c": code})
            if name is None:
                raise NotFound(f"区不存在：{code}")
            if not district_in_scope(actor, code):
                raise PermissionDenied(OUT_OF_SCOPE, hint="区级管理员只能向本区及本区学校发布公告")
            found[("district", code)] = Target("district", district_code=code, label=str(name))
        elif kind == "school" and code:
            row = db.one_or_none(
                "SELECT id, district_code, name FROM school WHERE code = :c", {"c": code}
            )
            if row is None:
                raise NotFound(f"学校不存在：{code}")
            if not school_in_scope(actor, _School(int(row[0]), str(row[1]))):
                raise PermissionDenied(OUT_OF_SCOPE, hint="区级管理员只能向本区及本区学校发布公告")
            found[("school", int(row[0]))] = Target(
                "school", school_id=int(row[0]), label=f"{row[2]}（{code}）"
            )
        else:
            raise UsageError(
                f"--to “{raw}” 无效", hint="--to all、--to district:区代码 或 --to school:学校代码"
            )
    return list(found.values())


def recipients_sql(targets: list[Target], params: dict[str, Any], alias: str = "a") -> str:
    """A WHERE condition on `account` (aliased) for the active operator accounts the
    targets address."""
    params["f_false"] = False
    if any(t.kind == "all" for t in targets):
        return (
            f"{alias}.disabled = :f_false AND {alias}.role IN ('district', 'school', 'institution')"
        )
    parts: list[str] = []
    districts = [t.district_code for t in targets if t.kind == "district"]
    schools = [t.school_id for t in targets if t.kind == "school"]
    if districts:
        names = []
        for i, code in enumerate(districts):
            params[f"t_d{i}"] = code
            names.append(f":t_d{i}")
        joined = ", ".join(names)
        parts.append(f"({alias}.role = 'district' AND {alias}.district_code IN ({joined}))")
        parts.append(
            f"({alias}.role = 'school' AND {alias}.school_id IN "
            f"(SELECT id FROM school WHERE district_code IN ({joined})))"
        )
    if schools:
        names = []
        for i, sid in enumerate(schools):
            params[f"t_s{i}"] = sid
            names.append(f":t_s{i}")
        parts.append(f"({alias}.role = 'school' AND {alias}.school_id IN ({', '.join(names)}))")
    if not parts:
        return "1 = 0"
    return f"{alias}.disabled = :f_false AND ({' OR '.join(parts)})"


def reader_school(db: RawReader, actor: Actor) -> tuple[int | None, str | None]:
    """(school id, its district) of a school admin, principal or teacher reading notices."""
    school_id = actor.acting_school_id or (actor.school_id if actor.role == "teacher" else None)
    if school_id is None:
        return None, None
    district = db.scalar("SELECT district_code FROM school WHERE id = :s", {"s": school_id})
    return int(school_id), (str(district) if district is not None else None)


def visible_sql(db: RawReader, actor: Actor, alias: str = "n") -> tuple[str, dict[str, Any]]:
    """A WHERE condition on `notice` (aliased): what the actor may read — the city all;
    a district what it posted and what is addressed to everyone, to it or to its schools;
    a school (its admins, principal and teachers) what is addressed to everyone, to its
    district or to it; an institution what is addressed to everyone."""
    role = scope_role(actor)
    if role in ("city", "system"):
        return "1 = 1", {}
    exists = f"EXISTS (SELECT 1 FROM notice_target nt WHERE nt.notice_id = {alias}.id AND ("
    if role == "district":
        params = {"v_d": actor.district_code}
        return (
            f"({alias}.district_code = :v_d OR {exists}nt.kind = 'all' "
            "OR nt.district_code = :v_d OR nt.school_id IN "
            "(SELECT id FROM school WHERE district_code = :v_d))))",
            params,
        )
    if role in ("school", "teacher"):
        school_id, district = reader_school(db, actor)
        if school_id is None:
            return "1 = 0", {}
        return (
            f"{exists}nt.kind = 'all' OR nt.district_code = :v_d OR nt.school_id = :v_s))",
            {"v_d": district, "v_s": school_id},
        )
    if role == "institution":
        return f"{exists}nt.kind = 'all'))", {}
    return "1 = 0", {}
