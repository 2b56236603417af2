"""Shareable state: the choices on a page live in the URL's query string.

A teacher bookmarks a view and opens it again exactly. Each widget takes its starting
value from the URL (checked: a bad or hostile value is ignored with a message, never
trusted), and each rerun writes the current value back, so the address bar always
describes what is on screen. Values are passed as the widget's default rather than
through session state, so Streamlit never sees two sources for one widget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import streamlit as st

T = TypeVar("T")
MAX_PARAM_LENGTH = 200  # longer values are refused before parsing: nothing unbounded reaches core


def _raw(param: str) -> str | None:
    raw = st.query_params.get(param)
    if raw is None:
        return None
    if len(raw) > MAX_PARAM_LENGTH:
        _ignored(param, raw[:20] + "…", "it is too long")
        return None
    return raw


def _ignored(param: str, raw: str, why: str) -> None:
    st.warning(f"Ignored `{param}={raw}` in the address: {why}.", icon=":material/link_off:")


def url_int(param: str, default: int, lo: int, hi: int) -> int:
    raw = _raw(param)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        _ignored(param, raw, "not a whole number")
        return default
    if not lo <= value <= hi:
        _ignored(param, raw, f"it must be between {lo:,} and {hi:,}")
        return default
    return value


def url_choice(param: str, options: Sequence[str], default: str) -> str:
    raw = _raw(param)
    if raw is None:
        return default
    if raw not in options:
        _ignored(param, raw, "the choices are " + ", ".join(options))
        return default
    return raw


def url_levels(param: str, options: Sequence[int | str], default: Sequence[int]) -> list[int | str]:
    """Comma-separated latent sizes (or lab models' names, where `options` has them); unknown ones are dropped
    with a message."""
    raw = _raw(param)
    if raw is None:
        return list(default)
    chosen, bad = [], []
    for part in filter(None, raw.split(",")):
        try:
            d = int(part)
        except ValueError:
            (chosen if part in options else bad).append(part)
            continue
        (chosen if d in options else bad).append(d)
    if bad:
        _ignored(param, ",".join(str(b) for b in bad), "no trained level of that size")
    return list(dict.fromkeys(chosen)) if chosen or not bad else list(default)


def url_parsed(param: str, parse: Callable[[str], T], refused: type[Exception]) -> T | None:
    """`parse` of the URL's value (None when absent); a value `parse` refuses is ignored with its message."""
    raw = _raw(param)
    if raw is None:
        return None
    try:
        return parse(raw)
    except refused as exc:
        _ignored(param, raw if len(raw) <= 40 else raw[:40] + "…", str(exc).rstrip("."))
        return None


def url_flag(param: str) -> bool:
    return _raw(param) in {"1", "true", "yes", "on"}


def set_url(**params: object) -> None:
    """Write the current choices back (None removes a parameter)."""
    for key, value in params.items():
        if value is None:
            st.query_params.pop(key, None)
            continue
        text = ",".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
        if st.query_params.get(key) != text:
            st.query_params[key] = text
