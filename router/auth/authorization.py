"""Authorization directives enforced before any fetch, as Apollo Router does:

- `guards(supergraph, operation)` runs once per prepared operation: every field (and type
  condition) whose definition or returned type carries `@authenticated`, `@requiresScopes` or
  `@policy`, with its requirement and the response paths where it appears (`@` for a list
  position). Most operations have none, and then nothing happens per request.
- per request, `decide` evaluates each guard against the caller: authenticated = a verified
  token; scopes = the token's `scope` claim; policies = the names a Python hook grants.
- `restrict(operation, denied)` removes the denied selections (and selections left empty) from
  the operation the planner sees, so no subgraph is asked for them; the client's response still
  has them, as null (GraphQL null propagation applies), with one error per removed selection:
  `Unauthorized field or type`, code UNAUTHORIZED_FIELD_OR_TYPE, at its path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLInterfaceType, GraphQLList, GraphQLNonNull, GraphQLObjectType

from router.federation.authorization import NONE, Requirement
from router.planner.operation import Field, Fragment, Operation, Selection
from router.supergraph import Supergraph

ERROR_MESSAGE = "Unauthorized field or type"
ERROR_CODE = "UNAUTHORIZED_FIELD_OR_TYPE"

PolicyHook = Callable[[frozenset[str], Any], Any]  # (policies, claims) -> granted (or awaitable)


@dataclass(frozen=True)
class Guard:
    requirement: Requirement
    paths: tuple[tuple[str, ...], ...]
    # The selection removed when the requirement is not met; None for one a literal @skip or
    # @include already left out (router/auth/excluded.py): only its error remains.
    selection: Selection | None


@dataclass(frozen=True)
class Guards:
    items: tuple[Guard, ...]
    policies: frozenset[str]  # every policy any guard names: what the hook is asked about


@dataclass(frozen=True)
class Caller:
    authenticated: bool
    scopes: frozenset[str]
    policies: frozenset[str]  # granted by the policy hook


def _met(alternatives: tuple[tuple[str, ...], ...] | None, have: frozenset[str]) -> bool:
    return alternatives is None or any(have.issuperset(alt) for alt in alternatives)


def allowed(requirement: Requirement, caller: Caller) -> bool:
    if requirement.authenticated and not caller.authenticated:
        return False
    if requirement.scopes is not None and not caller.authenticated:
        return False  # Apollo: scopes come from a verified token; none means none
    return _met(requirement.scopes, caller.scopes) and _met(requirement.policies, caller.policies)


def guards(
    supergraph: Supergraph,
    operation: Operation,
    excluded: Iterable[tuple[Requirement, tuple[str, ...]]] = (),
) -> Guards | None:
    """The guarded selections of `operation`, and the `excluded` ones its document leaves out
    with a literal @skip/@include (None when it touches nothing guarded)."""
    rules = supergraph.authorization
    if not rules:
        return None
    found: dict[int, tuple[Selection, Requirement, list[tuple[str, ...]]]] = {}
    schema = supergraph.schema

    def walk(selections: tuple[Selection, ...], parent: str, path: tuple[str, ...]) -> None:
        parent_type = schema.get_type(parent)
        for selection in selections:
            if isinstance(selection, Fragment):
                condition = selection.type_condition
                if condition is not None and condition != parent:
                    required = rules.get(condition, NONE)
                    if required != NONE:
                        _add(found, selection, required, path)
                walk(selection.selections, condition or parent, path)
                continue
            required = rules.get(f"{parent}.{selection.name}", NONE) & rules.get(
                selection.type_name, NONE
            )
            here = (*path, selection.response_key)
            if required != NONE:
                _add(found, selection, required, here)
            if selection.selections is not None:
                is_list = False
                if isinstance(parent_type, GraphQLObjectType | GraphQLInterfaceType):
                    definition = parent_type.fields.get(selection.name)
                    is_list = definition is not None and _is_list(definition.type)
                walk(selection.selections, selection.type_name, (*here, "@") if is_list else here)

    root = operation.root_type
    root_requirement = rules.get(root, NONE)
    walk(operation.selections, root, ())
    if root_requirement != NONE:  # a guarded root type guards each of its fields
        for selection in operation.selections:
            if isinstance(selection, Field):
                _add(found, selection, root_requirement, (selection.response_key,))
    items = tuple(
        Guard(requirement, tuple(dict.fromkeys(paths)), selection)
        for selection, requirement, paths in found.values()
    )
    covered = {(g.requirement, path) for g in items for path in g.paths}
    leftover = tuple(dict.fromkeys(e for e in excluded if e not in covered))
    items += tuple(Guard(requirement, (path,), None) for requirement, path in leftover)
    if not items:
        return None
    policies = frozenset(p for g in items for alt in (g.requirement.policies or ()) for p in alt)
    return Guards(items, policies)


def _add(
    found: dict[int, tuple[Selection, Requirement, list[tuple[str, ...]]]],
    selection: Selection,
    requirement: Requirement,
    path: tuple[str, ...],
) -> None:
    key = id(selection)  # within one walk; the selections live as long as the operation
    entry = found.get(key)
    if entry is None:
        found[key] = (selection, requirement, [path])
    else:
        entry[2].append(path)
        found[key] = (selection, entry[1] & requirement, entry[2])


def _is_list(t: Any) -> bool:
    if isinstance(t, GraphQLNonNull):
        t = t.of_type
    return isinstance(t, GraphQLList)


def denied(found: Guards, caller: Caller) -> tuple[int, ...]:
    """Indexes of the guards the caller does not pass."""
    return tuple(i for i, g in enumerate(found.items) if not allowed(g.requirement, caller))


def restrict(operation: Operation, found: Guards, refused: Iterable[int]) -> Operation:
    """The operation without the refused selections (and any selection left empty)."""
    drop = {id(s) for i in refused if (s := found.items[i].selection) is not None}

    def keep(selections: tuple[Selection, ...]) -> tuple[Selection, ...]:
        out: list[Selection] = []
        for selection in selections:
            if id(selection) in drop:
                continue
            if isinstance(selection, Fragment):
                inner = keep(selection.selections)
                if inner:
                    out.append(dataclasses.replace(selection, selections=inner))
            elif selection.selections is not None:
                inner = keep(selection.selections)
                if inner:
                    out.append(dataclasses.replace(selection, selections=inner))
            else:
                out.append(selection)
        return tuple(out)

    return dataclasses.replace(operation, selections=keep(operation.selections))


def errors(found: Guards, refused: Iterable[int]) -> list[dict[str, Any]]:
    return [
        {"message": ERROR_MESSAGE, "path": list(path), "extensions": {"code": ERROR_CODE}}
        for i in refused
        for path in found.items[i].paths
    ]
