"""Python hooks: callables that wrap one stage, loaded by dotted path (MOSAIC_ROUTER_HOOKS).

A hook gets the stage's input and `next` (the stage, or the next hook around it) and returns the
stage's output: it may change the input, change the output, or refuse by raising `RequestError`.
Hooks of request stages are coroutines; hooks of document stages are plain functions (document
stages may run in a worker thread). The first hook configured is the outermost.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

REQUEST_STAGES = ("read", "prepare", "auth", "policy", "execute", "shape", "respond")
DOCUMENT_STAGES = ("parse", "validate", "limits", "plan")
STAGES = REQUEST_STAGES + DOCUMENT_STAGES

F = TypeVar("F", bound=Callable[..., Any])


class HookError(ValueError):
    """A configured hook cannot be loaded or does not fit its stage."""


def hook(stage: str) -> Callable[[F], F]:
    """Mark a function as a hook of `stage` (one of `STAGES`)."""
    if stage not in STAGES:
        raise HookError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")

    def mark(function: F) -> F:
        function.__mosaic_stage__ = stage  # type: ignore[attr-defined]
        return function

    return mark


def stage_of(function: Callable[..., Any]) -> str:
    stage = getattr(function, "__mosaic_stage__", None)
    if stage is None:
        raise HookError(
            f"{_name(function)} is not a hook: decorate it with @router.pipeline.hook(STAGE)"
        )
    is_async = inspect.iscoroutinefunction(function)
    if stage in REQUEST_STAGES and not is_async:
        raise HookError(f"{_name(function)} wraps the request stage {stage!r}: use `async def`")
    if stage in DOCUMENT_STAGES and is_async:
        raise HookError(f"{_name(function)} wraps the document stage {stage!r}: use plain `def`")
    return str(stage)


def load_hook(path: str) -> Callable[..., Any]:
    """`package.module:name` -> the hook it names."""
    module_name, sep, attribute = path.partition(":")
    if not sep or not module_name or not attribute:
        raise HookError(f"expected MODULE:NAME, got {path!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise HookError(f"cannot import {module_name!r} for hook {path!r}: {error}") from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise HookError(f"{module_name!r} has no callable {attribute!r}")
    stage_of(function)
    return function


def by_stage(hooks: Iterable[Callable[..., Any]]) -> dict[str, list[Callable[..., Any]]]:
    grouped: dict[str, list[Callable[..., Any]]] = {stage: [] for stage in STAGES}
    for function in hooks:
        grouped[stage_of(function)].append(function)
    return grouped


def wrap(stage: F, hooks: list[Callable[..., Any]]) -> F:
    """The stage wrapped by its hooks (the stage itself when it has none: no cost per call)."""
    for function in reversed(hooks):
        stage = _bind(function, stage)
    return stage


def _bind(function: Callable[..., Any], following: F) -> F:
    def wrapped(value: Any) -> Any:
        return function(value, following)

    wrapped.__name__ = f"{_name(function)}({_name(following)})"
    return wrapped  # type: ignore[return-value]


def _name(function: Callable[..., Any]) -> str:
    return f"{getattr(function, '__module__', '?')}:{getattr(function, '__qualname__', function)}"
