"""Alias fields that would break FieldsInSetCanMerge in a subgraph operation.

Sibling type conditions may select one response key with different types in the subgraph
(`... on Member { code }` with `Member.code: String!` there, `... on Guest { code }` with
`Guest.code: String`): valid against the supergraph, rejected by the subgraph. Like Apollo's
planner (`addAliasesForNonMergingFields`), each later variant gets an alias `<key>__alias_<n>`
and the fetch carries an output rewrite that renames it back in the fetched data before the
merge. Runs once per plan (cached), never per request.
"""

from __future__ import annotations

from graphql import get_named_type

from router.planner.plan import OutputRewrite
from router.planner.selection import FieldItem, FragmentItem, SelectionSet
from router.supergraph.model import Supergraph

# (selection set, its parent type or None for `_entities`, response path to it)
_Site = tuple[SelectionSet, str | None, tuple[str, ...]]


class _Aliaser:
    def __init__(self, sg: Supergraph, graph: str) -> None:
        self.sg = sg
        self.graph = graph
        self.rewrites: list[OutputRewrite] = []
        self.counter = 0

    def field_type(self, parent: str | None, name: str) -> str | None:
        """The field's type as the subgraph declares it (the supergraph's where not noted)."""
        if parent is None or name.startswith("__"):
            return "String!" if name == "__typename" else None
        model = self.sg.types.get(parent)
        fm = model.fields.get(name) if model is not None else None
        src = fm.sources.get(self.graph) if fm is not None else None
        if src is not None and src.type is not None:
            return src.type
        t = self.sg.schema.get_type(parent)
        definition = getattr(t, "fields", {}).get(name)
        return str(definition.type) if definition is not None else None

    def shape(self, ftype: str | None) -> str | None:
        """SameResponseShape: list and non-null wrappers and the leaf type; composite types
        of one shape merge when their sub-selections do (checked one level down)."""
        if ftype is None:
            return None
        named = ftype.strip("[]!")
        model = self.sg.types.get(named)
        if model is not None and model.kind in ("object", "interface", "union"):
            return ftype.replace(named, "*")
        return ftype

    def collect(
        self, sites: list[_Site]
    ) -> dict[str, list[tuple[FieldItem, str | None, tuple[str, ...]]]]:
        """Fields by response key over the sets (through fragments), in order."""
        out: dict[str, list[tuple[FieldItem, str | None, tuple[str, ...]]]] = {}

        def walk(selection: SelectionSet, parent: str | None, path: tuple[str, ...]) -> None:
            for item in selection.items.values():
                if isinstance(item, FragmentItem):
                    walk(item.children, item.type_condition or parent, path)
                elif item.children is None or item.children:
                    out.setdefault(item.wire_key, []).append((item, parent, path))

        for selection, parent, path in sites:
            walk(selection, parent, path)
        return out

    def check(self, sites: list[_Site]) -> None:
        used = set(self.collect(sites))
        for key, fields in self.collect(sites).items():
            variants: dict[str | None, str] = {}  # response shape -> the key it gets
            nested: dict[str, list[_Site]] = {}
            for item, parent, path in fields:
                ftype = self.field_type(parent, item.name)
                shape = self.shape(ftype)
                target = variants.get(shape)
                if target is None:
                    target = key
                    if variants:
                        target = self.fresh(key, used)
                        self.rewrites.append(OutputRewrite(path, target, key))
                    variants[shape] = target
                if target != key:
                    item.printed_as = target
                if item.children is not None:
                    # rewrites run outside in: below, the data has the field under its own key
                    child_parent = _named(self.sg, ftype, parent, item.name)
                    nested.setdefault(target, []).append(
                        (item.children, child_parent, (*path, item.response_key))
                    )
            for child_sites in nested.values():
                self.check(child_sites)

    def fresh(self, key: str, used: set[str]) -> str:
        while True:
            alias = f"{key}__alias_{self.counter}"
            self.counter += 1
            if alias not in used:
                used.add(alias)
                return alias


def _named(sg: Supergraph, ftype: str | None, parent: str | None, name: str) -> str | None:
    if ftype is not None:
        named = ftype.strip("[]!")
        if named in sg.types:
            return named
    t = sg.schema.get_type(parent) if parent is not None else None
    definition = getattr(t, "fields", {}).get(name)
    return get_named_type(definition.type).name if definition is not None else None


def alias_conflicts(
    sg: Supergraph, graph: str, selection: SelectionSet, parent: str | None
) -> tuple[OutputRewrite, ...]:
    """Alias the fields of `selection` that the subgraph could not merge; the rewrites that
    undo it. `parent` is the root type, or None for the fragments inside `_entities`."""
    aliaser = _Aliaser(sg, graph)
    aliaser.check([(selection, parent, ())])
    return tuple(aliaser.rewrites)
