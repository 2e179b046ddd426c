"""Schema checks: what changes between two supergraphs, for clients and for routing.

Client-facing changes come from graphql-core's `find_breaking_changes` and
`find_dangerous_changes` on the API schemas. Federation changes come from the join__ metadata:
a field that moves to other subgraphs, a subgraph added or removed, a routing URL or a key that
changes. They don't break clients, so they are reported but never fail a check.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from graphql import find_breaking_changes, find_dangerous_changes

from router.compose.join_metadata import join_metadata
from router.federation.api_schema import api_schema


@dataclass(frozen=True)
class Change:
    kind: str  # breaking | dangerous | federation
    type: str  # e.g. FIELD_REMOVED, ARG_CHANGED_KIND, FIELD_OWNER_CHANGED
    description: str


@dataclass(frozen=True)
class CheckReport:
    changes: tuple[Change, ...] = ()
    baseline: str | None = None  # what was compared against; None when there was nothing
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "breaking"]

    def to_json(self) -> dict[str, object]:
        return {
            "baseline": self.baseline,
            "breaking": [asdict(c) for c in self.breaking],
            "dangerous": [asdict(c) for c in self.changes if c.kind == "dangerous"],
            "federation": [asdict(c) for c in self.changes if c.kind == "federation"],
            "notes": list(self.notes),
        }


def compare_supergraphs(old_sdl: str, new_sdl: str) -> list[Change]:
    old_api, new_api = api_schema(old_sdl), api_schema(new_sdl)
    changes = [
        Change("breaking", c.type.name, c.description)
        for c in find_breaking_changes(old_api, new_api)
    ]
    changes += [
        Change("dangerous", c.type.name, c.description)
        for c in find_dangerous_changes(old_api, new_api)
    ]
    return changes + federation_changes(old_sdl, new_sdl)


def federation_changes(old_sdl: str, new_sdl: str) -> list[Change]:
    old, new = join_metadata(old_sdl), join_metadata(new_sdl)
    changes: list[Change] = []
    for name in sorted(set(old.graphs) | set(new.graphs)):
        if name not in new.graphs:
            changes.append(
                Change("federation", "SUBGRAPH_REMOVED", f"Subgraph {name} was removed.")
            )
        elif name not in old.graphs:
            changes.append(Change("federation", "SUBGRAPH_ADDED", f"Subgraph {name} was added."))
        elif old.graphs[name] != new.graphs[name]:
            changes.append(
                Change(
                    "federation",
                    "ROUTING_URL_CHANGED",
                    f"Subgraph {name} moved from {old.graphs[name]} to {new.graphs[name]}.",
                )
            )
    for coordinate in sorted(set(old.fields) & set(new.fields)):
        before, after = old.owners(coordinate), new.owners(coordinate)
        if before != after and before and after:
            changes.append(
                Change(
                    "federation",
                    "FIELD_OWNER_CHANGED",
                    f"{coordinate} is now resolved by {', '.join(sorted(after))} "
                    f"(was {', '.join(sorted(before))}).",
                )
            )
    for type_name in sorted(set(old.types) & set(new.types)):
        keys_before = {(g, k) for g, k, r, _ in old.types[type_name] if k and r}
        keys_after = {(g, k) for g, k, r, _ in new.types[type_name] if k and r}
        for graph, key in sorted(keys_before - keys_after):
            if graph in new.graphs:
                changes.append(
                    Change(
                        "federation",
                        "KEY_REMOVED",
                        f"Subgraph {graph} no longer resolves {type_name} by "
                        f'@key(fields: "{key}").',
                    )
                )
    return changes
