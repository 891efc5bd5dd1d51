"""Filters that take the Chinese label or the code, and name the allowed values otherwise.

Issue 13: tables show Chinese, so people type Chinese; scripts keep the codes. Every filter
option of a closed vocabulary is built here from rules/labels.py:

    state: Annotated[str | None, choice_option("--state", labels.TRANSFER_STATE, help="状态")]

An unknown value is a usage error (exit 2) naming every allowed value — never an empty list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import typer

from jjadmin.rules import labels


def _normaliser(
    option: str, vocabulary: Mapping[str, str], what: str = "值"
) -> Callable[[Any], Any]:
    def normalise(value: str | None) -> str | None:
        if value is None:
            return None
        code = labels.to_code(vocabulary, value)
        if code is None:
            raise typer.BadParameter(
                f"“{value}”不是可选的{what}；可选：{labels.allowed(vocabulary)}",
                param_hint=option,
            )
        return code

    return normalise


def normalise(option: str, vocabulary: Mapping[str, str], value: str | None) -> str | None:
    """`value` (label or code) → the code; a usage error naming the allowed values."""
    return _normaliser(option, vocabulary)(value)  # type: ignore[no-any-return]


def choice_option(
    option: str,
    vocabulary: Mapping[str, str],
    *,
    help: str,
    default_none: bool = True,
) -> Any:
    """The `typer.Option` of a filter that accepts a label or a code:
    `state: Annotated[str | None, choice_option("--state", labels.BILL_STATE, help="状态")]`."""
    shown = "、".join(
        f"{label}（{code}）" if label != code else code for code, label in vocabulary.items()
    )
    return typer.Option(
        option,
        help=f"{help}：{shown}",
        callback=_normaliser(option, vocabulary, help.split("（")[0]),
    )


def values_option(option: str, values: Sequence[str], *, help: str) -> Any:
    """A filter on a value list whose label is its code (在职/离职/退休, 上线/下线…)."""
    return choice_option(option, {v: v for v in values}, help=help)


def action_filter(value: str | None) -> str | None:
    """`audit list --action`: 选课, 选课·本人, enroll, enroll.self → the code prefix."""
    if value is None:
        return None
    prefix = labels.action_to_prefix(value)
    if prefix is None:
        areas = "、".join(f"{label}（{code}）" for code, label in labels.AREA.items())
        raise typer.BadParameter(
            f"“{value}”不是已知的操作；可按领域筛选：{areas}，或如 选课·本人（enroll.self）",
            param_hint="--action",
        )
    return prefix
