"""A city on PostgreSQL: one login role per operator account, row-level security generated
from the scope rule (`services/scope_rules.py`), and the owner's functions they rely on.

- `tables`: which tables hold unit data (declared in scope_rules.TABLES, checked against the
  models), `policies`: conditions, policies and grants as SQL text, `functions`: the owner's
  functions and triggers, `sync`: `jjadmin db roles sync`, `hook`: a password set in jjadmin
  becomes the login role's password.
"""
