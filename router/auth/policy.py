"""The @policy hook: a Python callable, configured by dotted path, that decides which of the
policies an operation needs the caller is granted (Apollo Router asks a coprocessor or a Rhai
script; Mosaic asks Python).

    def decide(policies: frozenset[str], claims: Claims | None) -> Iterable[str]  # or async

It gets every policy the operation's guarded selections name and returns the granted ones; a
policy it does not return is denied (and so is every policy without a hook). An exception in the
hook denies all of them (logged): a broken hook never opens access.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("mosaic.router.auth")

PolicyHook = Callable[[frozenset[str], Any], Awaitable[frozenset[str]]]


def load_callable(path: str) -> Callable[..., Any]:
    """`package.module:function` (or `package.module.function`) -> the callable."""
    module_name, sep, attribute = path.partition(":")
    if not sep:
        module_name, _, attribute = path.rpartition(".")
    if not module_name or not attribute:
        raise ValueError(f"expected package.module:function, got {path!r}")
    target = getattr(importlib.import_module(module_name), attribute, None)
    if not callable(target):
        raise ValueError(f"{path!r} is not a callable")
    return target


def load_policy_hook(path: str | None) -> PolicyHook | None:
    if not path:
        return None
    decide = load_callable(path)

    async def hook(policies: frozenset[str], claims: Any) -> frozenset[str]:
        try:
            granted = decide(policies, claims)
            if inspect.isawaitable(granted):
                granted = await granted
            return frozenset(str(p) for p in granted or ()) & policies
        except Exception:
            log.exception("the policy hook %s failed: every policy is denied", path)
            return frozenset()

    return hook
