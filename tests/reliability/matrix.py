"""THE permission table: every command of the live tree, how to call it on the world, and
which roles may (test_permission_matrix.py runs it for the 7 roles, in and out of scope).

`args` is a template. Its target placeholders name something of the actor's own unit when
run "in scope" and of another unit "out of scope" (only commands with a target get an
out-of-scope run):
  {T} teacher 学号 (t1 of 越秀一小 / t3 of 天河一小)   {S} school code (a1 / b1)
  {B} bill number (a1's / b1's)                       {U} account (a1's admin / b1's admin)
  {D} district code (越秀 440104 / 天河 440106)
Other placeholders: {out} a new output file ({outpdf} a .pdf), {pdf}, {xlsx} (an input
sheet), {C} course code.

`who`: the roles that may run it (in scope: any exit but 3 and 10); every other role gets
exit 3. Out of scope, a scoped role (district, school, institution, teacher) gets 3 or 4, or,
for a list, exit 0 without a trace of the other unit's people. "*" = every logged-in role;
"anonymous" is never allowed unless named.

To add a command: one row. A command of the live tree missing here fails the matrix test.
"""

from __future__ import annotations

from dataclasses import dataclass

ADMINS = frozenset({"city", "district", "school", "institution"})
EVERYONE = frozenset({"city", "district", "school", "institution", "system", "teacher"})
ROLES = ("city", "district", "institution", "school", "system", "teacher", "anonymous")
TARGETS = ("{T}", "{S}", "{B}", "{U}", "{D}")


@dataclass(frozen=True)
class Row:
    args: str
    who: frozenset[str]
    now: str = "selecting"  # selecting | selected | closing
    crosses: str = ""  # why the command shows another unit's teacher by design


def r(args: str, *who: str, now: str = "selecting", crosses: str = "") -> Row:
    roles: set[str] = set()
    for w in who:
        roles |= set(EVERYONE if w == "*" else ADMINS if w == "admins" else {w})
    return Row(args, frozenset(roles), now, crosses)


MATRIX: dict[str, Row] = {
    "account add": r(
        "account add newuser --role school --school {S} --name 新管理员 --mobile 13900139123"
        " --password-stdin",
        "admins",
    ),
    "account disable": r("account disable {U}", "city", "district", "school"),
    "account enable": r("account enable {U}", "city", "district", "school"),
    "account list": r("account list", "admins"),
    "account passwd": r("account passwd --password-stdin", "*"),
    "account passwd-reset": r("account passwd-reset {U} --show", "city", "district", "school"),
    "account phone": r("account phone 13900139555", "*"),
    "account profile": r("account profile --name 改名", "admins", "system"),
    "account token": r("account token {U}", "city", "district", "school"),
    "account unlock": r("account unlock {U}", "city", "district", "school"),
    "audit list": r("audit list", "admins", "system"),
    "batch list": r("batch list", "admins", "system"),
    "batch show": r("batch show 1", "city", "system"),  # batch 1 is the city's
    "batch undo": r("batch undo 1 --yes", "city"),
    "bill admissions": r(
        "bill admissions --period 2601 --out {out}", "admins", "system", now="selected"
    ),
    "bill declaration": r(
        "bill declaration --period 2601 --school {S} --out {out}",
        "city",
        "district",
        "school",
        "system",
        now="selected",
    ),
    "bill generate": r("bill generate --period 2601", "city", "system", now="selected"),
    "bill import-payments": r("bill import-payments {xlsx}", "city", "institution", now="selected"),
    "bill list": r("bill list --period 2601", "admins", "system", now="selected"),
    "bill notice": r("bill notice {B} --out {outpdf}", "admins", "system", now="selected"),
    "bill pay": r("bill pay {B} --receipt R-{B}", "city", "institution", now="selected"),
    "bill show": r("bill show {B}", "admins", "system", now="selected"),
    "bill summary": r("bill summary --period 2601", "admins", "system", now="selected"),
    "bill template": r("bill template {out}", "*", "anonymous"),
    "course approve": r("course approve C1 --period 2601", "city", "district"),
    "course declare": r(
        "course declare --code XB1 --name 校本 --hours 10 --hour-type 专业科目 --type 面授",
        "school",
    ),
    "course export": r("course export {out} --period 2601", "*"),
    "course import": r("course import {xlsx}", "city", "district", "institution"),
    "course list": r("course list --period 2601", "*"),
    "course reject": r("course reject C1 --period 2601 --reason 不符", "city", "district"),
    "course show": r("course show C1 --period 2601", "*"),
    "course template": r("course template {out}", "*", "anonymous"),
    "credits annual": r("credits annual --year 2026", "city", "district", "school"),
    "credits certificate": r(
        "credits certificate {T} --course C1 --period 2601 --out {outpdf}", "admins"
    ),
    "credits cycle": r("credits cycle --cycle 2021-2025", "city", "district", "school"),
    "credits ledger": r("credits ledger {T}", "admins", "teacher"),
    "credits verify": r("credits verify ABCDEF", "*", "anonymous"),
    "db backup": r("db backup {out}", "city", "system"),
    "db check": r("db check", "*", "anonymous"),  # the file's integrity, no data
    "db init": r("db init", "*", "anonymous"),
    "db recover-admin": r("db recover-admin {U} --password-stdin", "*", "anonymous"),
    "db roles sync": r("db roles sync", "city"),
    "db upgrade": r("db upgrade", "city", "system"),
    "enroll add": r(
        "enroll add --period 2601 --course C1 --teachers {T}", "city", "district", "school"
    ),
    "enroll drop": r("enroll drop --period 2601 --teacher {T} --course C1", "admins"),
    "enroll import": r("enroll import {xlsx} --period 2601", "city", "district", "school"),
    "enroll list": r("enroll list --period 2601", "*"),
    "enroll stats": r("enroll stats --period 2601", "admins", "system"),
    "enroll template": r("enroll template {out}", "*", "anonymous"),
    "grade import": r("grade import {xlsx} --period 2601", "admins"),  # refused before the read
    "grade list": r("grade list --period 2601", "admins"),
    "grade stats": r("grade stats --period 2601", "admins"),
    "grade template": r("grade template {out}", "*", "anonymous"),
    "login": r("login {U} --password-stdin"),  # no password given: exit 3 for all
    "logout": r("logout", "*", "anonymous"),
    "me apply": r("me apply C1", "teacher", "school"),  # a school: exit 2, name --teacher
    "me certificate": r("me certificate --course C1 --period 2601 --out {outpdf}", "teacher"),
    "me courses": r("me courses", "teacher"),
    "me drop": r("me drop C1", "teacher"),
    "me enroll": r("me enroll C1", "teacher"),
    "me hours": r("me hours", "teacher"),
    "me passwd": r("me passwd --password-stdin", "*"),
    "me show": r("me show", "teacher"),
    "me update": r("me update --email a@b.cn", "teacher"),
    "period close": r("period close 2601", "city", "system", now="closing"),
    "period create": r(
        "period create 2603 --select-from 2026-11-01 --select-to 2026-11-30 --pay-by 2026-12-15",
        "city",
    ),
    "period list": r("period list", "*"),
    "period show": r("period show 2601", "*"),
    "school export": r("school export {out}", "admins", "system"),
    "school import": r("school import {xlsx}", "city", "district"),
    "school list": r("school list", "admins", "system"),
    "school set": r("school set {S} --town 新街", "city", "district", "school"),
    "school show": r("school show {S}", "city", "district", "school", "system"),
    "school template": r("school template {out}", "*", "anonymous"),
    "special-training apply": r("special-training apply C1 --teacher {T}", "school", "teacher"),
    "special-training list": r("special-training list", "*"),
    "special-training review": r(
        "special-training review 1 --approve", "district", "school", "institution"
    ),
    "special-training show": r("special-training show 1", "*"),
    "special-user clear": r(
        "special-user clear {T} --evidence 本人持证件", "city", "district", now="closing"
    ),
    "special-user form collective": r(
        "special-user form collective --school {S} --out {out}",
        "city",
        "district",
        "school",
        now="closing",
    ),
    "special-user form individual": r(
        "special-user form individual {T} --out {out}", "city", "district", "school", now="closing"
    ),
    "special-user history": r(
        "special-user history {T}", "city", "district", "school", "system", now="closing"
    ),
    "special-user list": r(
        "special-user list", "city", "district", "school", "system", now="closing"
    ),
    "teacher add": r(
        "teacher add --name 新教师 --id-number 440104199001010037 --mobile 13700137111"
        " --school {S} --stage 小学 --subject 语文",
        "city",
        "district",
        "school",
    ),
    "teacher admin grant": r("teacher admin grant {T}", "city", "district", "school"),
    "teacher admin revoke": r("teacher admin revoke {T}", "city", "district", "school"),
    "teacher archive": r("teacher archive {T} --as 离职", "city", "district", "school"),
    "teacher export": r("teacher export {out}", "city", "district", "school"),
    "teacher import": r("teacher import {xlsx}", "city", "district", "school"),
    "teacher list": r("teacher list", "city", "district", "school"),
    "teacher passwd-reset": r("teacher passwd-reset {T} --show", "city", "district", "school"),
    "teacher principal grant": r("teacher principal grant {T}", "city", "district", "school"),
    "teacher principal revoke": r("teacher principal revoke {T}", "city", "district", "school"),
    "teacher purge": r("teacher purge {T} --yes", "city", "district", "school"),
    "teacher reopen": r("teacher reopen {T}", "city", "district", "school"),
    "teacher review": r("teacher review {T} --approve", "city", "district", "school"),
    "teacher set": r("teacher set {T} --email x@y.cn", "city", "district", "school"),
    "teacher show": r("teacher show {T}", "city", "district", "school"),
    "teacher submit": r("teacher submit {T} --title 一级教师", "city", "district", "school"),
    "teacher template": r("teacher template {out}", "*", "anonymous"),
    "teacher unlock": r("teacher unlock {T}", "city", "district", "school"),
    "transfer approve": r("transfer approve 1", "city", "district"),
    "transfer cancel": r("transfer cancel 1", "city", "district", "school"),
    "transfer import": r("transfer import {xlsx}", "city", "district", "school"),
    "transfer list": r("transfer list", "city", "district", "school", "system"),
    "transfer lookup": r(
        "transfer lookup {T}",
        "city",
        "district",
        "school",
        crosses="the receiving school looks up the teacher it asks for (docs/decisions.md)",
    ),
    "transfer reject": r("transfer reject 1 --reason 不同意", "city", "district"),
    "transfer request": r("transfer request {T} --to {S}", "city", "district", "school"),
    "transfer show": r("transfer show 1", "city", "district", "school", "system"),
    "transfer template": r("transfer template {out}", "*", "anonymous"),
    "verify check": r("verify check 123456"),  # no code was sent: exit 3 for all
    "verify send": r("verify send", "admins", "system", "teacher"),
    "whoami": r("whoami", "*"),
    # --- areas merged at 06:35 (ability, complaints, declarations, notices, daily) ---
    "ability assess": r(
        "ability assess --period 2601 {T} --answers {xlsx}", "city", "district", "school", "teacher"
    ),
    "ability config": r("ability config --period 2601 --districts 440104 --subjects 英语", "city"),
    "ability confirm": r("ability confirm --period 2601 {T}", "teacher"),
    "ability questionnaire": r("ability questionnaire --out {out}", "*", "anonymous"),
    "ability recommend": r(
        "ability recommend --period 2601 {T}", "city", "district", "school", "teacher"
    ),
    "ability show": r(
        "ability show --period 2601", "city", "district", "institution", "school", "teacher"
    ),
    "complaint close": r("complaint close 1", "city", "district"),
    "complaint file": r("complaint file --title 投诉 --body 内容", "teacher"),
    "complaint list": r("complaint list", "city", "district", "school", "system"),
    "complaint reply": r("complaint reply 1 --text 已处理", "city", "district"),
    "complaint show": r("complaint show 1", "city", "district", "school", "system"),
    "complaint stats": r("complaint stats --year 2026", "city", "district", "school", "system"),
    "complaint window": r("complaint window --year 2026 --from 2026-01-01 --to 2026-12-31", "city"),
    "credits declare": r(
        "credits declare {T} --year 2026 --project 项目 --institution 机构 --from 2026-03-01"
        " --to 2026-03-02 --hours 8 --hour-type 专业科目",
        "school",
        "teacher",
    ),
    "credits import": r("credits import {xlsx}", "city", "district", "school"),
    "credits list": r("credits list", "city", "district", "school", "system", "teacher"),
    "credits proof": r(
        "credits proof 1 1 --out {outpdf}", "city", "district", "school", "system", "teacher"
    ),
    "credits resubmit": r("credits resubmit 1 --hours 9", "school", "teacher"),
    "credits review": r("credits review 1 --approve", "district", "school"),
    "credits show": r("credits show 1", "city", "district", "school", "system", "teacher"),
    "credits template": r("credits template {out}", "*", "anonymous"),
    "me archive": r("me archive", "teacher"),
    "me complaint file": r("me complaint file --title 投诉 --body 内容", "teacher"),
    "me complaint list": r("me complaint list", "teacher"),
    "me complaint show": r("me complaint show 1", "teacher"),
    "me declare": r(
        "me declare --year 2026 --project 项目 --institution 机构 --from 2026-03-01"
        " --to 2026-03-02 --hours 8 --hour-type 专业科目",
        "teacher",
        "school",
    ),
    "me notices": r("me notices", "*"),
    "notice list": r("notice list", "*"),
    "notice post": r("notice post --title 通知 --body 内容", "city", "district"),
    "notice resend": r("notice resend 1", "city", "district"),
    "notice show": r("notice show 1", "*"),
}
