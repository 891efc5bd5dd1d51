"""学校管理: import, list, show, set, export."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import Conflict, InputRejected
from jjadmin.models import District, School
from jjadmin.rules.enums import check_in_list
from jjadmin.rules.ids import normalize_mobile
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.imports import BatchWriter, ImportOptions, run_import
from jjadmin.services.results import FileMeta, ImportReport, RowIssue, RowLike
from jjadmin.services.school_views import SchoolView as SchoolView
from jjadmin.services.school_views import list_schools as list_schools
from jjadmin.services.school_views import show_school as show_school
from jjadmin.services.scope import get_school

# spreadsheet header → School attribute (SPEC §5 学校 template)
SCHOOL_FIELDS: dict[str, str] = {
    "school_code": "code",
    "name": "name",
    "district_code": "district_code",
    "school_type": "school_type",
    "seal_name": "seal_name",
    "town": "town",
    "nature": "nature",
    "head_name": "head_name",
    "head_mobile": "head_mobile",
}
HEADERS = {
    "school_code": "学校代码",
    "name": "学校名称",
    "district_code": "所属区代码",
    "school_type": "办学类型",
    "seal_name": "学校公章名",
    "town": "所在镇街",
    "nature": "学校性质",
    "head_name": "负责人姓名",
    "head_mobile": "负责人移动电话",
}
CHUNK = 500
INSERT_CHUNK = 5000

SETTABLE = {
    "name": "学校名称",
    "school_type": "办学类型",
    "seal_name": "学校公章名",
    "town": "所在镇街",
    "nature": "学校性质",
    "head_name": "负责人姓名",
    "head_mobile": "负责人移动电话",
}
# what an import may change on an existing school
IMPORT_UPDATABLE = (*SETTABLE, "district_code")


def _view(s: School, district_name: str, teachers: int = 0) -> SchoolView:
    return SchoolView(
        s.code,
        s.name,
        s.district_code,
        district_name,
        s.school_type,
        s.seal_name,
        s.town,
        s.nature,
        s.head_name,
        s.head_mobile,
        teachers,
        s.created_at,
        s.updated_at,
    )


def _existing_by_code(session: Session, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Code → current values of the schools named in a file (IN lists of <= CHUNK codes)."""
    table = School.__table__  # type: ignore[attr-defined]
    cols = [table.c.id, table.c.code, table.c.version, *(table.c[k] for k in IMPORT_UPDATABLE)]
    found: dict[str, dict[str, Any]] = {}
    unique = sorted(set(codes))
    for i in range(0, len(unique), CHUNK):
        chunk = unique[i : i + CHUNK]
        for row in session.execute(select(*cols).where(table.c.code.in_(chunk))).mappings():
            found[row["code"]] = dict(row)
    return found


def import_schools(
    ctx: ServiceContext,
    *,
    rows: Sequence[RowLike],
    pre_issues: Sequence[RowIssue],
    file: FileMeta,
    options: ImportOptions,
    notes: Sequence[str] = (),
    present: frozenset[str] = frozenset(),
) -> ImportReport:
    """Create or update schools from a sheet (city: any district; district: its own).

    Raises PermissionDenied (3), Conflict (5, another import running).
    """
    actor = ctx.require("city", "district", action="导入学校")
    unit = f"district:{actor.district_code}" if actor.role == "district" else "city"
    state: dict[str, Any] = {}

    def validate(
        session: Session, actor: Actor, rows: Sequence[RowLike], report: ImportReport
    ) -> None:
        known = set(session.execute(select(col(District.code))).scalars())
        codes = [str(r.values["school_code"]) for r in rows if r.values.get("school_code")]
        existing = _existing_by_code(session, codes)
        state["existing"] = existing
        for r in rows:
            d = r.values.get("district_code")
            if d is not None and d not in known:
                report.add(
                    RowIssue(
                        r.row,
                        "所属区代码",
                        str(d),
                        f"区代码不存在：{d}",
                        "district-unknown",
                        "state",
                    )
                )
                continue
            if actor.role != "district":
                continue
            old = existing.get(str(r.values.get("school_code")))
            if d is not None and d != actor.district_code:
                report.add(
                    RowIssue(
                        r.row, "所属区代码", str(d), "只能导入本区的学校", "out-of-scope", "state"
                    )
                )
            elif old is not None and old["district_code"] != actor.district_code:
                report.add(
                    RowIssue(
                        r.row,
                        "学校代码",
                        str(r.values.get("school_code")),
                        "该学校不属于本区，无权修改",
                        "out-of-scope",
                        "state",
                    )
                )

    def apply(
        session: Session,
        actor: Actor,
        rows: Sequence[RowLike],
        report: ImportReport,
        writer: BatchWriter,
    ) -> None:
        existing: dict[str, dict[str, Any]] = state["existing"]
        table = School.__table__  # type: ignore[attr-defined]
        new_rows: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for r in rows:
            values = {SCHOOL_FIELDS[k]: v for k, v in r.values.items() if k in SCHOOL_FIELDS}
            old = existing.get(values["code"])
            if old is None:
                values.update(
                    created_at=ctx.now,
                    updated_at=ctx.now,
                    version=1,
                    created_batch_id=writer.batch_id,
                )
                new_rows.append(values)
                if len(new_rows) >= INSERT_CHUNK:  # bounded memory on large files
                    session.execute(insert(table), new_rows)
                    report.created += len(new_rows)
                    new_rows = []
                continue
            changes = {k: v for k, v in values.items() if k != "code" and old.get(k) != v}
            if not changes:
                report.skipped += 1
                continue
            version = old["version"] + 1
            full = {k: changes.get(k, old[k]) for k in IMPORT_UPDATABLE}
            updates.append({"_id": old["id"], **full, "updated_at": ctx.now, "version": version})
            writer.changed("school", old["id"], {k: old[k] for k in changes}, changes, version)
            report.updated += 1
        if updates:
            session.execute(
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values({k: bindparam(k) for k in (*IMPORT_UPDATABLE, "updated_at", "version")}),
                updates,
            )
        if new_rows:
            session.execute(insert(table), new_rows)
            report.created += len(new_rows)

    report = run_import(
        ctx,
        kind="school",
        unit=unit,
        file=file,
        rows=rows,
        pre_issues=pre_issues,
        options=options,
        validate=validate,
        apply=apply,
        actor=actor,
        notes=notes,
    )
    # run_import counts invalid rows as skipped; unchanged rows were counted in apply
    return report


def set_school(ctx: ServiceContext, code: str, **changes: Any) -> SchoolView:
    """Change the seven fields of a school (all required, so none may be blanked).

    Raises InputRejected (1), NotFound (4), PermissionDenied (3).
    """
    actor = ctx.require("city", "district", "school", action="修改学校信息")
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if value is None:
            continue
        if key not in SETTABLE:
            raise InputRejected(f"不能修改字段：{key}")
        text = str(value).strip()
        if not text:
            raise InputRejected(f"{SETTABLE[key]}为必填项，不能为空")
        if key == "school_type":
            text = check_in_list("办学类型", text)
        elif key == "nature":
            text = check_in_list("学校性质", text)
        elif key == "head_mobile":
            text = normalize_mobile(text)
        clean[key] = text
    if not clean:
        raise InputRejected("没有要修改的字段", hint="例如 --seal-name 学校公章名")
    with ctx.transaction() as session:
        s = get_school(session, actor, code.strip(), for_update=True)
        before = {k: getattr(s, k) for k in clean}
        real = {k: v for k, v in clean.items() if before[k] != v}
        if not real:
            raise Conflict("学校信息没有变化")
        for k, v in real.items():
            setattr(s, k, v)
        s.version += 1
        s.updated_at = ctx.now
        audit.record(
            session,
            actor,
            ctx.now,
            "school.set",
            "school",
            s.code,
            before={k: before[k] for k in real},
            after=real,
        )
        session.flush()
        dn = session.execute(
            select(col(District.name)).where(col(District.code) == s.district_code)
        ).scalar_one()
        return _view(s, dn)


def export_rows(ctx: ServiceContext, *, district: str | None = None) -> list[dict[str, Any]]:
    """Rows for `school export` (no sensitive personal data)."""
    views, _ = list_schools(ctx, district=district, limit=10**9)
    return [{k.name: getattr(v, k.name) for k in fields(v)} for v in views]
