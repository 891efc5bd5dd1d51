"""Fuzz (hypothesis) every importer's cell rules and the pure rules: a cell or a value is
either read or refused with a row error (InvalidValue / InputRejected) — never a traceback.

The importers' columns are found from the live ImportKinds (a new import is fuzzed without
being listed here); the pure rules are every public function of jjadmin.rules whose first
parameter takes any value (`value: object`).
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jjadmin.importers
import jjadmin.rules
from jjadmin.errors import JjadminError
from jjadmin.importers.common import ImportKind

TODAY = date(2026, 3, 15)
EXAMPLES = int(os.environ.get("JJADMIN_FUZZ_EXAMPLES", "150"))  # per rule; CI may raise it

# Cells as a reader hands them over: stripped text, numbers Excel stores (huge, tiny, inf,
# nan), booleans, datetimes; and text built from the characters spreadsheets carry.
TEXT = st.text(
    alphabet=st.sampled_from(
        list("0123456789xX.-+eE ,/年月日时分：:")
        + ["\u3000", "\xa0", "０", "１", "９", "Ｘ", "学", "时", "元", "¥", "=", "\n", "\t", "'"]
    ),
    max_size=40,
)
CELLS = st.one_of(
    TEXT.map(str.strip).filter(bool),
    st.text(max_size=30).map(str.strip).filter(bool),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e27, 1e308, -1e308, 1e-320, 4.40104199001011e17, 0.1 + 0.2, 2**63]),
    st.booleans(),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.dates(),
    st.times(),
)
FAST = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,  # the same examples every run: a failure is reproducible
)


def _kinds() -> list[tuple[str, ImportKind]]:
    found = []
    for mod in pkgutil.iter_modules(jjadmin.importers.__path__):
        module = importlib.import_module(f"jjadmin.importers.{mod.name}")
        for name, value in vars(module).items():
            if isinstance(value, ImportKind):
                found.append((f"{mod.name}.{name}", value))
    return sorted(dict(found).items())


def _cell_rules() -> list[tuple[str, Callable[[object], object]]]:
    rules = []
    for name, kind in _kinds():
        for spec in kind.specs(TODAY):
            if spec.parse is not None:
                rules.append((f"{name}:{spec.header}", spec.parse))
    return rules


def _pure_rules() -> list[tuple[str, Callable[..., object]]]:
    rules = []
    for mod in pkgutil.iter_modules(jjadmin.rules.__path__):
        module = importlib.import_module(f"jjadmin.rules.{mod.name}")
        for name, fn in vars(module).items():
            if (
                name.startswith("_")
                or not inspect.isfunction(fn)
                or fn.__module__ != module.__name__
            ):
                continue
            params = list(inspect.signature(fn).parameters.values())
            if not params or params[0].annotation not in ("object", object):
                continue
            required = [p for p in params[1:] if p.default is inspect.Parameter.empty]
            if any(p.name != "today" for p in required):
                continue
            rules.append((f"{mod.name}.{name}", fn))
    return rules


CELL_RULES = _cell_rules()
PURE_RULES = _pure_rules()


def _call(fn: Callable[..., object], value: Any) -> None:
    kwargs = {"today": TODAY} if "today" in inspect.signature(fn).parameters else {}
    try:
        fn(value, **kwargs)
    except JjadminError:
        pass  # a row error: what the user reads


def test_the_fuzzed_rules_are_found() -> None:
    assert len(CELL_RULES) >= 45, [n for n, _ in CELL_RULES]
    names = {n for n, _ in PURE_RULES}
    assert {
        "ids.parse_date",
        "ids.normalize_mobile",
        "money.parse_money",
        "money.parse_hours",
    } <= names


@pytest.mark.parametrize(("name", "rule"), CELL_RULES, ids=[n for n, _ in CELL_RULES])
def test_a_cell_is_read_or_refused_never_a_traceback(
    name: str, rule: Callable[[object], object]
) -> None:
    @FAST
    @given(CELLS)
    def check(value: Any) -> None:
        _call(rule, value)

    check()


@pytest.mark.parametrize(("name", "rule"), PURE_RULES, ids=[n for n, _ in PURE_RULES])
def test_a_pure_rule_returns_or_refuses_never_a_traceback(
    name: str, rule: Callable[..., object]
) -> None:
    @FAST
    @given(CELLS)
    def check(value: Any) -> None:
        _call(rule, value)

    check()


@pytest.mark.parametrize("value", [1e27, "1e+27", 1e308, float("inf"), float("nan"), "1E400"])
def test_absurd_hours_are_a_row_error(value: object) -> None:
    """学时 1e+27 once crashed a course import (Decimal → int overflow)."""
    from jjadmin.importers.course import parse_course_hours

    with pytest.raises(JjadminError):
        parse_course_hours(value)


def test_examples_are_counted() -> None:
    """The closing note's figure: rules × examples per `make test` run."""
    assert (len(CELL_RULES) + len(PURE_RULES)) * EXAMPLES > 5_000
    assert isinstance(time(0), time)
