"""Split a selection between subgraphs that share a field (@shareable value types).

`Query.listing` is shareable in a, b and c, `Listing` has no key, and `title`, `seller` and
`amount` each live in one of them: no single subgraph (and no key jump) serves
`listing { title seller amount }`. The planner fetches `listing` from several subgraphs, each
with the part of the selection it can serve, and the executor merges the results by path
(FEDERATION-NOTES §3, "@shareable"). Below the root, the rest goes through the parent
entity's key into another subgraph that has the field.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from router.planner.operation import Field, Fragment, Selection

if TYPE_CHECKING:
    from router.planner.coverage import Coverage, Provided


def partition(
    router: Coverage,
    graph: str,
    type_name: str,
    selections: tuple[Selection, ...],
    provided: Provided | None,
) -> tuple[tuple[Selection, ...], tuple[Selection, ...]]:
    """(what `graph` can plan at this position, the rest), nested fields split in two."""
    here: list[Selection] = []
    rest: list[Selection] = []
    for sel in selections:
        if isinstance(sel, Fragment):
            target = sel.type_condition or type_name
            h, r = partition(router, graph, target, sel.selections, provided)
            if h:
                here.append(replace(sel, selections=h))
            if r:
                rest.append(replace(sel, selections=r))
        elif sel.name.startswith("__") or router.local_ok(graph, type_name, (sel,), provided)[0]:
            here.append(sel)
        elif (
            sel.selections
            and not router.abstract_in(type_name, graph)
            and router.resolvable(type_name, sel.name, graph, provided)
        ):
            child_provided = router.child_provided(type_name, sel, graph, provided)
            returns = router.returns_in(type_name, sel.name, graph, sel.type_name)
            h, r = partition(router, graph, returns, sel.selections, child_provided)
            if h:
                here.append(replace(sel, selections=h))
            if r:
                rest.append(replace(sel, selections=r))
        else:
            rest.append(sel)
    return tuple(here), tuple(rest)


def only(field: Field, selections: tuple[Selection, ...]) -> Field:
    return replace(field, selections=selections)
