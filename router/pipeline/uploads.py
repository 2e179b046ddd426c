"""Checks of a multipart request (the GraphQL multipart request spec) against its prepared
operation, before any file byte is read, and the files put in place of the variables' nulls.

- every path of the `map` is `variables.<name>[.<index>...]` where `<name>` is declared of type
  `Upload` (or a list of it, nested) and the indices follow the list levels into the values
  that `operations` sent (nulls);
- the fetches of the plan that use those variables are root fetches of ONE subgraph: the files
  travel once, to the subgraph that owns every upload field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import ListTypeNode, NamedTypeNode, NonNullTypeNode, TypeNode

from router.executor.upload import FilePart
from router.pipeline.types import Executable, RequestError
from router.planner.plan import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    SequenceNode,
)

UPLOAD = "Upload"


@dataclass(frozen=True, slots=True)
class Placement:
    key: str  # the map key (the file part's name)
    variable: str
    indices: tuple[int, ...]  # into the variable's nested lists


@dataclass(frozen=True, slots=True)
class UploadTargets:
    """Where a request's files go: the map, checked."""

    service: str  # the subgraph that receives them
    variables: frozenset[str]  # Upload variables the map fills
    placements: tuple[Placement, ...]

    def place(self, variables: Mapping[str, Any], files: Mapping[str, FilePart]) -> dict[str, Any]:
        """The request's variables with each file where the map puts it (lists copied)."""
        out = dict(variables)
        for name in self.variables:
            out[name] = _copy_lists(out[name])
        for placement in self.placements:
            file = files[placement.key]
            if not placement.indices:
                out[placement.variable] = file
                continue
            container = out[placement.variable]
            for index in placement.indices[:-1]:
                container = container[index]
            container[placement.indices[-1]] = file
        return out


def _copy_lists(value: Any) -> Any:
    return [_copy_lists(v) for v in value] if isinstance(value, list) else value


class UploadRefused(RequestError):
    """A multipart request that breaks the spec or a limit: an HTTP-level refusal, so it keeps
    its status even for application/json clients (GraphQL over HTTP's 200 is for well-formed
    requests)."""


def bad_request(message: str) -> UploadRefused:
    return UploadRefused(message, "BAD_REQUEST", 400)


def _list_depth(type_node: TypeNode) -> int | None:
    """How many list levels wrap `Upload` in this variable type; None: not an Upload type."""
    depth = 0
    while True:
        if isinstance(type_node, NonNullTypeNode):
            type_node = type_node.type
        elif isinstance(type_node, ListTypeNode):
            depth += 1
            type_node = type_node.type
        elif isinstance(type_node, NamedTypeNode):
            return depth if type_node.name.value == UPLOAD else None
        else:
            return None


def _fetches(node: PlanNode | None, root: bool = True) -> Iterator[tuple[FetchNode, bool]]:
    """Every fetch of a plan, and whether it is a root fetch (not under a Flatten)."""
    if isinstance(node, FetchNode):
        yield node, root and node.requires is None
    elif isinstance(node, FlattenNode):
        yield from _fetches(node.node, False)
    elif isinstance(node, (SequenceNode, ParallelNode)):
        for child in node.nodes:
            yield from _fetches(child, root)
    elif isinstance(node, ConditionNode):
        yield from _fetches(node.node, root)


def targets(
    executable: Executable, files_map: Mapping[str, list[str]], variables: Mapping[str, Any]
) -> UploadTargets:
    if executable.kind not in ("query", "mutation"):
        raise bad_request("Files can be uploaded with a query or a mutation, not a subscription.")
    depths = {d.variable.name.value: _list_depth(d.type) for d in executable.variable_definitions}
    placements = []
    seen: set[str] = set()
    for key, paths in files_map.items():
        for path in paths:
            placement = _placement(key, path, depths, variables)
            if path in seen:
                raise bad_request(f"The map puts two files at `{path}`.")
            seen.add(path)
            placements.append(placement)
    used = frozenset(p.variable for p in placements)
    plan = executable.plan
    services: set[str] = set()
    for fetch, root in _fetches(plan.node if plan is not None else None):  # type: ignore[arg-type]
        if used.isdisjoint(fetch.variable_usages):
            continue
        if not root:
            raise bad_request(
                "Files can only be arguments of root fields (a query's or mutation's own "
                f"fields); here they would go to an entity fetch of subgraph '{fetch.service}'."
            )
        services.add(fetch.service)
    if len(services) > 1:
        raise UploadRefused(
            "All files of a request must go to one subgraph; this operation's upload fields "
            f"belong to {', '.join(sorted(services))}. Send one request per subgraph.",
            "UPLOAD_SPANS_SUBGRAPHS",
            400,
        )
    if not services:
        raise bad_request("No field of this operation takes the uploaded files.")
    return UploadTargets(services.pop(), used, tuple(placements))


def _placement(
    key: str, path: str, depths: Mapping[str, int | None], variables: Mapping[str, Any]
) -> Placement:
    parts = path.split(".")
    if len(parts) < 2 or parts[0] != "variables":
        raise bad_request(f"The map path `{path}` (file `{key}`) must start with `variables.`.")
    name = parts[1]
    if name not in depths:
        raise bad_request(
            f"The map path `{path}` (file `{key}`) names no variable of the operation."
        )
    depth = depths[name]
    if depth is None:
        raise bad_request(
            f"The map path `{path}` (file `{key}`) points at variable `${name}`, which is not "
            f"of type {UPLOAD}: files may only fill {UPLOAD} variables."
        )
    indices: list[int] = []
    for part in parts[2:]:
        if not part.isdigit():
            raise bad_request(
                f"The map path `{path}` (file `{key}`) has a non-numeric index `{part}`."
            )
        indices.append(int(part))
    if len(indices) != depth:
        raise bad_request(
            f"The map path `{path}` (file `{key}`) does not reach an {UPLOAD} of `${name}` "
            f"({depth} list index{'es' if depth != 1 else ''} needed)."
        )
    value = variables.get(name)
    for index in indices:
        if not isinstance(value, list) or index >= len(value):
            raise bad_request(
                f"The map path `{path}` (file `{key}`) points outside the variables that "
                "`operations` sent (send null at each file's place)."
            )
        value = value[index]
    if value is not None:
        raise bad_request(
            f"The map path `{path}` (file `{key}`) must point at a null in `operations`."
        )
    if not indices and name not in variables:
        raise bad_request(
            f"The map path `{path}` (file `{key}`) points at `${name}`, which `operations` "
            "did not send (send it as null)."
        )
    return Placement(key, name, tuple(indices))
