"""The database owner's functions and triggers a city's row-level security relies on, as SQL
text generated for one deployment (its role prefix, group roles and scope conditions).

- `jjadmin_actor()`: the acting account of the session's login role (through `db_role`);
  every policy reads the unit from it. A disabled account's role sees nothing at once.
- `jjadmin_account_role(account, verifier, only_if_unset)`: brings one account's login role
  to the account's state (created, renamed, LOGIN or NOLOGIN, its group, dropped when the
  account is gone or is a teacher) and sets its password from a SCRAM verifier. Callable by
  the owner, by an account for itself, and by an account whose scope covers the target
  (the `account` table's write rule) — what `account passwd-reset` allows in jjadmin.
- a trigger on `account` that applies the same whenever an account is added, changed or
  removed (so `account disable` makes the role NOLOGIN in the same transaction).
- `jjadmin_max_learner_no(prefix)`: the highest 学号 of a year city-wide, which a school's
  role cannot see but needs to start a year's counter.
- the counter guards: a school bumping a city course's seat count may change that count
  and nothing else of the row.
"""

from __future__ import annotations

from dataclasses import dataclass

from jjadmin.services.dbroles.policies import (
    ACCOUNT_ROLES,
    ACTOR,
    Scoper,
    limit_of,
    literal,
    q,
)
from jjadmin.services.scope_rules import TEACHER_WRITERS

OPERATOR_ROLES = ACCOUNT_ROLES  # accounts of these roles get a login role; teachers never
ROLE_NAME_MAX = 63  # PostgreSQL's NAMEDATALEN - 1 bytes


@dataclass(frozen=True)
class Deployment:
    """What one city's generated objects are made for."""

    schema: str
    prefix: str
    connection_limit: int

    def group(self, role: str) -> str:
        """The NOLOGIN group role holding the grants of every account role of `role`."""
        return f"{self.prefix}role_{role}"

    @property
    def groups(self) -> dict[str, str]:
        return {role: self.group(role) for role in OPERATOR_ROLES}

    def definer(self) -> str:
        return f"SECURITY DEFINER SET search_path = {q(self.schema)}, pg_temp"


def actor_function(d: Deployment) -> str:
    return f"""
CREATE OR REPLACE FUNCTION jjadmin_actor()
RETURNS TABLE (account_id integer, role text, school_id integer, district_code text,
               institution text)
LANGUAGE sql STABLE ROWS 1 {d.definer()} AS $fn$
  SELECT a.id, a.role::text, a.school_id, a.district_code::text, a.institution::text
  FROM db_role r JOIN account a ON a.id = r.account_id
  WHERE r.role_name = session_user::text AND NOT a.disabled
$fn$"""


def apply_account_role_function(d: Deployment) -> str:
    """The one implementation of "this account's login role as it should be"."""
    groups = d.groups
    group_case = " ".join(
        f"WHEN {literal(role)} THEN {literal(name)}" for role, name in groups.items()
    )
    group_list = ", ".join(literal(name) for name in groups.values())
    operators = ", ".join(literal(r) for r in OPERATOR_ROLES)
    return f"""
CREATE OR REPLACE FUNCTION jjadmin_apply_account_role(
  p_account integer, p_verifier text, p_only_if_unset boolean)
RETURNS text LANGUAGE plpgsql VOLATILE {d.definer()} AS $fn$
DECLARE
  acc record;
  mapped text;
  pw_set timestamptz;
  want text;
  grp text;
  g text;
  cur record;
  marker text := 'jjadmin:' || current_database() || ' account ';
  note text;
  action text := 'unchanged';
  can_login boolean;
BEGIN
  SELECT role_name, password_set_at INTO mapped, pw_set FROM db_role WHERE account_id = p_account;
  SELECT id, username, role, disabled, locked_at INTO acc FROM account WHERE id = p_account;
  IF NOT FOUND OR acc.role NOT IN ({operators}) THEN
    IF mapped IS NULL THEN
      RETURN 'none';
    END IF;
    DELETE FROM db_role WHERE account_id = p_account;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = mapped)
       AND shobj_description((SELECT oid FROM pg_roles WHERE rolname = mapped), 'pg_authid')
           LIKE marker || '%' THEN
      BEGIN
        EXECUTE format('DROP ROLE %I', mapped);
      EXCEPTION WHEN dependent_objects_still_exist OR object_in_use THEN
        RETURN 'failed:' || SQLERRM;
      END;
      RETURN 'dropped';
    END IF;
    RETURN 'none';
  END IF;
  want := {literal(d.prefix)} || acc.username;
  IF octet_length(want) > {ROLE_NAME_MAX} THEN
    RETURN 'skipped:too-long';
  END IF;
  IF want IN ({group_list}) THEN
    RETURN 'skipped:reserved';
  END IF;
  grp := CASE acc.role {group_case} END;
  can_login := NOT acc.disabled AND acc.locked_at IS NULL;
  IF mapped IS NOT NULL AND mapped <> want THEN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = mapped)
       AND NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = want)
       AND shobj_description((SELECT oid FROM pg_roles WHERE rolname = mapped), 'pg_authid')
           LIKE marker || '%' THEN
      EXECUTE format('ALTER ROLE %I RENAME TO %I', mapped, want);
      action := 'renamed';
    END IF;
    DELETE FROM db_role WHERE account_id = p_account;
    mapped := NULL;
  END IF;
  SELECT r.oid, r.rolcanlogin, r.rolconnlimit INTO cur FROM pg_roles r WHERE r.rolname = want;
  IF NOT FOUND THEN
    EXECUTE format('CREATE ROLE %I NOLOGIN', want);
    EXECUTE format('COMMENT ON ROLE %I IS %L', want, marker || acc.username);
    action := 'created';
    pw_set := NULL;
    SELECT r.oid, r.rolcanlogin, r.rolconnlimit INTO cur FROM pg_roles r WHERE r.rolname = want;
  ELSE
    note := shobj_description(cur.oid, 'pg_authid');
    IF note IS DISTINCT FROM marker || acc.username THEN
      DELETE FROM db_role WHERE account_id = p_account;
      RETURN 'skipped:foreign';
    END IF;
    IF mapped IS NULL AND action <> 'renamed' THEN
      pw_set := NULL;
    END IF;
  END IF;
  INSERT INTO db_role (role_name, account_id, password_set_at)
  VALUES (want, p_account, pw_set)
  ON CONFLICT (account_id) DO UPDATE SET role_name = EXCLUDED.role_name;
  IF cur.rolcanlogin IS DISTINCT FROM can_login
     OR cur.rolconnlimit IS DISTINCT FROM {d.connection_limit} THEN
    EXECUTE format('ALTER ROLE %I %s CONNECTION LIMIT {d.connection_limit}', want,
                   CASE WHEN can_login THEN 'LOGIN' ELSE 'NOLOGIN' END);
    IF action = 'unchanged' THEN
      action := CASE WHEN can_login THEN 'login' ELSE 'nologin' END;
    END IF;
  END IF;
  FOREACH g IN ARRAY ARRAY[{group_list}] LOOP
    IF g = grp AND NOT pg_has_role(want, g, 'MEMBER') THEN
      EXECUTE format('GRANT %I TO %I', g, want);
      IF action = 'unchanged' THEN action := 'updated'; END IF;
    ELSIF g <> grp AND EXISTS (
        SELECT 1 FROM pg_auth_members m JOIN pg_roles gr ON gr.oid = m.roleid
        WHERE gr.rolname = g AND m.member = cur.oid) THEN
      EXECUTE format('REVOKE %I FROM %I', g, want);
      IF action = 'unchanged' THEN action := 'updated'; END IF;
    END IF;
  END LOOP;
  IF p_verifier IS NOT NULL AND NOT (p_only_if_unset AND pw_set IS NOT NULL) THEN
    IF p_verifier !~ '^SCRAM-SHA-256\\$' THEN
      RAISE EXCEPTION 'jjadmin: a role password must be a SCRAM-SHA-256 verifier';
    END IF;
    EXECUTE format('ALTER ROLE %I PASSWORD %L', want, p_verifier);
    UPDATE db_role SET password_set_at = now() WHERE account_id = p_account;
    action := action || '+password';
  END IF;
  RETURN action;
END
$fn$"""


def account_role_function(d: Deployment, scoper: Scoper) -> str:
    """The callable wrapper: who may bring which account's role up to date."""
    branches = []
    for role in OPERATOR_ROLES:
        if role == "city":
            branches.append(f"WHEN {literal(role)} THEN true")
            continue
        cond = scoper.owned("account", role, "t")
        if cond is not None:
            branches.append(f"WHEN {literal(role)} THEN {cond}")
    return f"""
CREATE OR REPLACE FUNCTION jjadmin_account_role(
  p_account integer, p_verifier text DEFAULT NULL, p_only_if_unset boolean DEFAULT false)
RETURNS text LANGUAGE plpgsql VOLATILE {d.definer()} AS $fn$
DECLARE
  me integer;
BEGIN
  IF EXISTS (SELECT 1 FROM db_role WHERE role_name = session_user::text) THEN
    SELECT a.account_id INTO me FROM {ACTOR} a;
    IF me IS NULL THEN
      RAISE EXCEPTION 'jjadmin: this login role has no active account'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF me <> p_account AND NOT EXISTS (
        SELECT 1 FROM account t WHERE t.id = p_account
        AND (CASE (SELECT a.role FROM {ACTOR} a) {" ".join(branches)} ELSE false END)) THEN
      RAISE EXCEPTION 'jjadmin: account % is outside this role''s scope', p_account
        USING ERRCODE = 'insufficient_privilege';
    END IF;
  END IF;
  RETURN jjadmin_apply_account_role(p_account, p_verifier, p_only_if_unset);
END
$fn$"""


def account_trigger(d: Deployment) -> list[str]:
    operators = ", ".join(literal(r) for r in OPERATOR_ROLES)
    function = f"""
CREATE OR REPLACE FUNCTION jjadmin_account_changed()
RETURNS trigger LANGUAGE plpgsql {d.definer()} AS $fn$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM jjadmin_apply_account_role(OLD.id, NULL, false);
    RETURN OLD;
  END IF;
  IF NEW.role IN ({operators}) OR (TG_OP = 'UPDATE' AND OLD.role IN ({operators})) THEN
    PERFORM jjadmin_apply_account_role(NEW.id, NULL, false);
  END IF;
  RETURN NEW;
END
$fn$"""
    return [function]


ACCOUNT_TRIGGER = (
    "CREATE TRIGGER jjadmin_account_role AFTER INSERT OR DELETE OR UPDATE OF username, role,"
    " disabled, locked_at ON account FOR EACH ROW EXECUTE FUNCTION jjadmin_account_changed()"
)


def learner_no_function(d: Deployment) -> str:
    return f"""
CREATE OR REPLACE FUNCTION jjadmin_max_learner_no(p_prefix text)
RETURNS text LANGUAGE sql STABLE {d.definer()} AS $fn$
  SELECT max(learner_no) FROM teacher
  WHERE p_prefix ~ '^[0-9]{{1,13}}$' AND learner_no LIKE p_prefix || '%'
$fn$"""


# Who may look up another unit's teacher to ask for a transfer (调入学校 and above).
TRANSFER_ROLES = ("city", "district", "school")


def _require_role(roles: tuple[str, ...]) -> str:
    """plpgsql refusing an account role outside `roles` (the owner's sessions pass)."""
    listed = ", ".join(literal(r) for r in roles)
    return f"""
  IF EXISTS (SELECT 1 FROM db_role WHERE role_name = session_user::text)
     AND NOT EXISTS (SELECT 1 FROM {ACTOR} a WHERE a.role IN ({listed})) THEN
    RAISE EXCEPTION 'jjadmin: this role may not look up another unit''s teachers'
      USING ERRCODE = 'insufficient_privilege';
  END IF;"""


def transfer_functions(d: Deployment) -> list[str]:
    """A receiving school asks for a teacher of another school by 学号 (调动申请): it learns
    what the application shows it — the teacher's id, name, 学号 and school, and why a move
    is blocked — never the row itself (services/transfers)."""
    check = _require_role(TRANSFER_ROLES)
    teachers = f"""
CREATE OR REPLACE FUNCTION jjadmin_transfer_teachers(p_learner_nos text[], p_lock boolean)
RETURNS TABLE (id integer, learner_no text, name text, school_id integer)
LANGUAGE plpgsql VOLATILE {d.definer()} AS $fn$
BEGIN{check}
  IF p_lock THEN
    RETURN QUERY SELECT t.id, t.learner_no::text, t.name::text, t.school_id FROM teacher t
      WHERE t.learner_no = ANY(p_learner_nos) ORDER BY t.id FOR UPDATE;
  ELSE
    RETURN QUERY SELECT t.id, t.learner_no::text, t.name::text, t.school_id FROM teacher t
      WHERE t.learner_no = ANY(p_learner_nos) ORDER BY t.id;
  END IF;
END
$fn$"""
    # the same facts as services/transfers/blocks._find_blocks (a test holds both equal)
    blocks = f"""
CREATE OR REPLACE FUNCTION jjadmin_transfer_blocks(p_teacher_ids integer[], p_now timestamptz)
RETURNS TABLE (teacher_id integer, kind text, period text, level text, district_code text,
               transfer_id integer, to_school_id integer)
LANGUAGE plpgsql STABLE {d.definer()} AS $fn$
BEGIN{check}
  RETURN QUERY
    SELECT s.teacher_id, 'special'::text, s.period::text, s.level::text,
           s.district_code::text, NULL::integer, NULL::integer
    FROM special_user s WHERE s.teacher_id = ANY(p_teacher_ids) AND s.cleared_at IS NULL
    UNION ALL
    SELECT e.teacher_id, 'unpaid', e.period::text, c.level::text, sc.district_code::text,
           NULL, NULL
    FROM enrollment e
    JOIN course c ON c.id = e.course_id
    JOIN period p ON p.code = e.period
    JOIN teacher t ON t.id = e.teacher_id
    JOIN school sc ON sc.id = t.school_id
    WHERE e.teacher_id = ANY(p_teacher_ids) AND e.state = 'active' AND NOT e.paid
      AND c.fee + c.material_fee > 0 AND p.pay_by < p_now
    UNION ALL
    SELECT t.teacher_id, 'pending', NULL, NULL, NULL, t.id, t.to_school_id
    FROM transfer t WHERE t.teacher_id = ANY(p_teacher_ids) AND t.state = 'pending'
    ORDER BY 2, 3, 4;
END
$fn$"""
    return [teachers, blocks]


def elsewhere_function(d: Deployment) -> str:
    """`jjadmin_teachers_elsewhere(id_numbers)`: the teachers holding these ID numbers, of
    any school — what adding or importing a teacher tells when the ID belongs to another
    school's teacher (学号, name, school), never more. For roles that add teachers."""
    check = _require_role(tuple(r for r in TEACHER_WRITERS if r in OPERATOR_ROLES))
    return f"""
CREATE OR REPLACE FUNCTION jjadmin_teachers_elsewhere(p_id_numbers text[])
RETURNS TABLE (id integer, learner_no text, id_number text, name text, school_id integer)
LANGUAGE plpgsql STABLE {d.definer()} AS $fn$
BEGIN{check}
  RETURN QUERY SELECT t.id, t.learner_no::text, t.id_number::text, t.name::text, t.school_id
    FROM teacher t WHERE t.id_number = ANY(p_id_numbers);
END
$fn$"""


def lock_function(d: Deployment, scoper: Scoper) -> str:
    """`jjadmin_lock_teachers(ids)`: FOR UPDATE on the teachers the calling role can read
    (its policies' SELECT condition, written into the function) — a lock, never a change."""
    branches = []
    for role in OPERATOR_ROLES:
        cond = "true" if scoper.privileges("teacher", role) and not limit_of(role) else None
        if cond is None:
            cond = scoper.visible("teacher", role, "t")
        if cond is not None:
            branches.append(f"WHEN {literal(role)} THEN {cond}")
    return f"""
CREATE OR REPLACE FUNCTION jjadmin_lock_teachers(p_ids integer[])
RETURNS integer LANGUAGE plpgsql VOLATILE {d.definer()} AS $fn$
DECLARE
  n integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM db_role WHERE role_name = session_user::text) THEN
    PERFORM 1 FROM teacher t WHERE t.id = ANY(p_ids) ORDER BY t.id FOR UPDATE;
  ELSE
    PERFORM 1 FROM teacher t WHERE t.id = ANY(p_ids)
      AND (CASE (SELECT a.role FROM {ACTOR} a) {" ".join(branches)} ELSE false END)
      ORDER BY t.id FOR UPDATE;
  END IF;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$"""


def guard_function(table: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {q('jjadmin_guard_' + table)}()\n"
        f"RETURNS trigger LANGUAGE plpgsql AS $fn$\n{body}\n$fn$"
    )


def guard_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER jjadmin_guard BEFORE UPDATE ON {q(table)} FOR EACH ROW"
        f" EXECUTE FUNCTION {q('jjadmin_guard_' + table)}()"
    )


def executable() -> dict[str, tuple[str, ...]]:
    """Each function's signature and the roles whose group may execute it (none: the
    owner's alone, called only from its other functions and triggers)."""
    return {
        "jjadmin_actor()": OPERATOR_ROLES,
        "jjadmin_account_role(integer, text, boolean)": OPERATOR_ROLES,
        "jjadmin_max_learner_no(text)": tuple(r for r in TEACHER_WRITERS if r in OPERATOR_ROLES),
        "jjadmin_transfer_teachers(text[], boolean)": TRANSFER_ROLES,
        "jjadmin_transfer_blocks(integer[], timestamp with time zone)": TRANSFER_ROLES,
        "jjadmin_lock_teachers(integer[])": OPERATOR_ROLES,
        "jjadmin_teachers_elsewhere(text[])": tuple(
            r for r in TEACHER_WRITERS if r in OPERATOR_ROLES
        ),
        "jjadmin_apply_account_role(integer, text, boolean)": (),
        "jjadmin_account_changed()": (),
    }
