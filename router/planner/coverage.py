"""What a subgraph can resolve at a position: the schema questions the planner's walk asks
(field sources, narrower subgraph types, keys, @provides) and its bounded local-coverage checks.
Pure reads of the supergraph model, memoized per planning run."""

from __future__ import annotations

from graphql import GraphQLList, GraphQLNonNull, SelectionSetNode

from router.planner.operation import Field, Fragment, Selection, _Normalizer
from router.supergraph.model import FieldSource, Key, Supergraph

MAX_CHECK_DEPTH = 6

Provided = dict[str, "Provided"]


class PlanningError(ValueError):
    """The operation cannot be planned against this supergraph."""


def _provided_of(selections: tuple[Selection, ...]) -> Provided:
    out: Provided = {}
    for sel in selections:
        if isinstance(sel, Fragment):
            out.update(_provided_of(sel.selections))
        else:
            out[sel.name] = _provided_of(sel.selections) if sel.selections else {}
    return out


class Coverage:
    def __init__(self, supergraph: Supergraph, labels: frozenset[str]) -> None:
        self.sg = supergraph
        self.labels = labels
        self._normalizer = _Normalizer(supergraph.schema, {})
        self._condition_cache: dict[tuple[str, str], tuple[Selection, ...]] = {}
        self._list_depth: dict[tuple[str, str], int] = {}

    def source(self, type_name: str, field_name: str, graph: str) -> FieldSource | None:
        model = self.sg.types.get(type_name)
        if model is None:
            return None
        fm = model.fields.get(field_name)
        return fm.sources.get(graph) if fm is not None else None

    def resolvable(
        self, type_name: str, field_name: str, graph: str, provided: Provided | None
    ) -> bool:
        src = self.source(type_name, field_name, graph)
        if src is None:
            return False
        if src.resolvable(self.labels):
            return True
        return provided is not None and field_name in provided

    def returns_in(self, type_name: str, field_name: str, graph: str, default: str) -> str:
        """The named type the field returns in `graph`: narrower than the supergraph's where
        the subgraph declares it so (`Shelf.item: Album` there, a union in the supergraph)."""
        src = self.source(type_name, field_name, graph)
        if src is None or src.type is None:
            return default
        named = src.type.strip("[]!")
        return named if named in self.sg.types else default

    def has_requires(self, type_name: str, field_name: str, graph: str) -> bool:
        src = self.source(type_name, field_name, graph)
        return src is not None and src.requires is not None

    def list_depth(self, type_name: str, field_name: str) -> int:
        key = (type_name, field_name)
        depth = self._list_depth.get(key)
        if depth is None:
            t = self.sg.schema.get_type(type_name)
            f = getattr(t, "fields", {}).get(field_name)
            depth = 0
            ftype = f.type if f is not None else None
            while ftype is not None:
                if isinstance(ftype, GraphQLNonNull):
                    ftype = ftype.of_type
                elif isinstance(ftype, GraphQLList):
                    depth += 1
                    ftype = ftype.of_type
                else:
                    break
            self._list_depth[key] = depth
        return depth

    def is_interface_object(self, type_name: str, graph: str) -> bool:
        model = self.sg.types.get(type_name)
        return model is not None and graph in model.interface_object_graphs

    def abstract_in(self, type_name: str, graph: str) -> bool:
        return self.sg.is_abstract(type_name) and not self.is_interface_object(type_name, graph)

    def condition(self, type_name: str, node: SelectionSetNode, text: str) -> tuple[Selection, ...]:
        key = (type_name, text)
        found = self._condition_cache.get(key)
        if found is None:
            found = self._normalizer.selections(node, type_name, frozenset())
            found = _with_abstract_typenames(self.sg, found)
            self._condition_cache[key] = found
        return found

    def resolving_keys(self, type_name: str, graph: str) -> list[Key]:
        model = self.sg.types.get(type_name)
        if model is None:
            return []
        return sorted(
            (k for k in model.keys_in(graph) if k.resolvable),
            key=lambda k: len(k.fields.split()),
        )

    def local_ok(
        self,
        graph: str,
        type_name: str,
        selections: tuple[Selection, ...] | None,
        provided: Provided | None,
        depth: int = 0,
    ) -> tuple[bool, int, int]:
        """(plannable when this position is fetched from `graph`, fields that need another
        subgraph, fields resolved locally)."""
        if not selections or depth > MAX_CHECK_DEPTH:
            return True, 0, 0
        objects = (
            [type_name]
            if not self.abstract_in(type_name, graph)
            else sorted(self.sg.possible_in(type_name, graph))
        )
        ok, jumps, count = True, 0, 0
        for sel in selections:
            if isinstance(sel, Fragment):
                if sel.type_condition is not None and not self._may_match(
                    type_name, sel.type_condition, graph
                ):
                    continue  # the subgraph never returns that type here: no fetch needed
                sub_ok, sub_jumps, sub_count = self.local_ok(
                    graph, sel.type_condition or type_name, sel.selections, provided, depth + 1
                )
                ok, jumps, count = ok and sub_ok, jumps + sub_jumps, count + sub_count
                continue
            if sel.name.startswith("__"):
                count += 1
                continue
            for obj in objects:
                if self.resolvable(obj, sel.name, graph, provided):
                    count += 1
                    child_provided = self.child_provided(obj, sel, graph, provided)
                    returns = self.returns_in(obj, sel.name, graph, sel.type_name)
                    sub_ok, sub_jumps, sub_count = self.local_ok(
                        graph, returns, sel.selections, child_provided, depth + 1
                    )
                    if not sub_ok and self._jumpable(obj, graph):
                        # what this subgraph lacks below, the parent entity's key reaches
                        sub_ok, sub_jumps = True, sub_jumps + 1
                    ok, jumps, count = ok and sub_ok, jumps + sub_jumps, count + sub_count
                else:
                    jumps += 1
                    if not self._jumpable(obj, graph):
                        ok = False
        return ok, jumps, count

    def _may_match(self, type_name: str, target: str, graph: str) -> bool:
        """Whether an object the subgraph returns at a `type_name` position can be a `target`
        (membership as the supergraph defines it: that is what the client's fragment means)."""
        if target == type_name:
            return True
        here = (
            self.sg.possible_in(type_name, graph)
            if self.abstract_in(type_name, graph)
            else frozenset({type_name})
        )
        return not here.isdisjoint(self.sg.possible.get(target, frozenset()))

    def _jumpable(self, type_name: str, graph: str) -> bool:
        """Whether some key of another subgraph can be collected from `graph`."""
        model = self.sg.types.get(type_name)
        if model is None:
            return False
        return any(
            k.resolvable and k.graph != graph and self._key_local(type_name, k, graph)
            for k in model.keys
        )

    def _key_local(self, type_name: str, key: Key, graph: str) -> bool:
        selections = self.condition(type_name, key.selection, key.fields)
        return self._all_local(type_name, selections, graph)

    def _all_local(self, type_name: str, selections: tuple[Selection, ...], graph: str) -> bool:
        for sel in selections:
            if isinstance(sel, Fragment):
                if not self._all_local(sel.type_condition or type_name, sel.selections, graph):
                    return False
            elif sel.name == "__typename":
                continue
            elif not self.resolvable(type_name, sel.name, graph, None):
                return False
            elif sel.selections and not self._all_local(sel.type_name, sel.selections, graph):
                return False
        return True

    def child_provided(
        self, type_name: str, sel: Field, graph: str, provided: Provided | None
    ) -> Provided | None:
        src = self.source(type_name, sel.name, graph)
        if src is not None and src.provides is not None:
            # The provided set is checked against this type's own field, which may return a
            # narrower type than the interface field the client selected (`Album.related:
            # Album` implementing `Work.related: Work`).
            model = self.sg.types[type_name].fields.get(sel.name)
            returns = model.type_name if model is not None else sel.type_name
            return _provided_of(self.condition(returns, src.provides, src.provides_text or ""))
        if provided is not None and sel.name in provided:
            return provided[sel.name]
        return None

    def _all_local_fields(
        self,
        type_name: str,
        selections: tuple[Selection, ...],
        graph: str,
        provided: Provided | None,
    ) -> bool:
        for sel in selections:
            if isinstance(sel, Fragment):
                if not self._all_local_fields(
                    sel.type_condition or type_name, sel.selections, graph, provided
                ):
                    return False
            elif not sel.name.startswith("__") and not self.resolvable(
                type_name, sel.name, graph, provided
            ):
                return False
        return True

    def _better_elsewhere(self, type_name: str, field: Field, graph: str) -> bool:
        model = self.sg.types[type_name].fields.get(field.name)
        if model is None:
            return False
        for other in model.sources:
            if other != graph and self.resolvable(type_name, field.name, other, None):
                other_provided = self.child_provided(type_name, field, other, None)
                returns = self.returns_in(type_name, field.name, other, field.type_name)
                if self.local_ok(other, returns, field.selections, other_provided)[0]:
                    return bool(self.resolving_keys(type_name, other))
        return False

    def _interface_object_graph(self, type_name: str, field_name: str) -> str | None:
        model = self.sg.types.get(type_name)
        if model is None:
            return None
        for graph in sorted(model.interface_object_graphs):
            if self.resolvable(type_name, field_name, graph, None):
                return graph
        return None

    def _interfaces_of(self, type_name: str) -> set[str]:
        t = self.sg.schema.get_type(type_name)
        return {i.name for i in getattr(t, "interfaces", ())}


def _with_abstract_typenames(
    sg: Supergraph, selections: tuple[Selection, ...]
) -> tuple[Selection, ...]:
    """Key and requires selections get `__typename` in every abstract sub-selection."""
    out: list[Selection] = []
    for sel in selections:
        if isinstance(sel, Field) and sel.selections is not None:
            children = _with_abstract_typenames(sg, sel.selections)
            if sg.is_abstract(sel.type_name) and not any(
                isinstance(c, Field) and c.name == "__typename" for c in children
            ):
                children = (Field("__typename", "__typename", "String", (), (), None), *children)
            sel = Field(
                sel.response_key, sel.name, sel.type_name, sel.arguments, sel.conditions,
                children, sel.directives,
            )  # fmt: skip
        elif isinstance(sel, Fragment):
            sel = Fragment(
                sel.type_condition, sel.conditions, _with_abstract_typenames(sg, sel.selections)
            )
        out.append(sel)
    return tuple(out)
