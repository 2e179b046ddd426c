"""Merging the subgraphs' types into the supergraph model (Apollo's `merge.ts`, in short)."""

from __future__ import annotations

from graphql import print_ast

from router.compose.context import MergeContext, conjunction, merge_common, merge_default
from router.compose.merge_fields import Source, merge_output_field, merge_type_reference
from router.compose.model import JoinField, JoinType, MElement, MEnumValue, MField, MType
from router.compose.subgraph import Subgraph, TypeDef
from router.compose.typeref import is_required

KIND_NAMES = {
    "object": "Object Type",
    "interface": "Interface Type",
    "union": "Union Type",
    "enum": "Enum Type",
    "input": "Input Object Type",
    "scalar": "Scalar Type",
}


def _sources(ctx: MergeContext, name: str) -> list[tuple[Subgraph, TypeDef]]:
    return [(sg, sg.types[name]) for sg in ctx.subgraphs if name in sg.types]


def _type_order(ctx: MergeContext) -> list[str]:
    order: dict[str, None] = {}
    for sg in ctx.subgraphs:
        for name in sg.types:
            order.setdefault(name, None)
    return list(order)


def _merged_kind(ctx: MergeContext, name: str, sources: list[tuple[Subgraph, TypeDef]]) -> str:
    kinds = {t.kind for _, t in sources if not t.interface_object}
    if any(t.interface_object for _, t in sources):
        kinds.add("interface") if not kinds else None
    if len(kinds) > 1:
        described = " but ".join(
            f'{KIND_NAMES[t.kind]} in subgraph "{sg.name}"'
            for sg, t in sources
            if not t.interface_object
        )
        ctx.error(
            "TYPE_KIND_MISMATCH",
            f'Type "{name}" has mismatched kind: it is defined as {described}',
            name,
        )
    return next(iter(kinds)) if kinds else "object"


def merge_shells(ctx: MergeContext) -> None:
    """Types with kinds, interfaces and union members, before fields are merged."""
    for name in _type_order(ctx):
        sources = _sources(ctx, name)
        kind = _merged_kind(ctx, name, sources)
        dest = MType(name=name, kind=kind)
        merge_common(dest, [t for _, t in sources], ctx.composed)
        for sg, t in sources:
            if t.keys:
                for key in t.keys:
                    dest.join_types.append(
                        JoinType(sg.name, key.fields, key.extension, key.resolvable,
                                 t.interface_object)
                    )  # fmt: skip
            else:
                dest.join_types.append(JoinType(sg.name, interface_object=t.interface_object))
            for interface in t.interfaces:
                if interface not in dest.interfaces:
                    dest.interfaces.append(interface)
                dest.implements.append((sg.name, interface))
            for member in t.members:
                if member not in dest.members:
                    dest.members.append(member)
                dest.member_joins.append((sg.name, member))
            if t.specified_by and not dest.specified_by:
                dest.specified_by = t.specified_by
        # Apollo lists union memberships member by member (then subgraph by subgraph).
        dest.member_joins.sort(key=lambda joined: dest.members.index(joined[1]))
        ctx.types[name] = dest


def _interface_object_fields(
    ctx: MergeContext, dest: MType, sg: Subgraph, field_name: str
) -> list[tuple[TypeDef, bool]]:
    """Fields of `dest` that `sg` abstracts through an @interfaceObject (it lacks the type)."""
    if dest.kind != "object" or dest.name in sg.types:
        return []
    found = []
    for interface in dest.interfaces:
        t = sg.types.get(interface)
        if t is not None and t.interface_object and field_name in t.fields:
            f = t.fields[field_name]
            if f.external and (t.name, f.name) not in ctx.facts[sg.name].provided:
                continue  # fully external: it doesn't resolve the field
            found.append((t, (t.name, f.name) in ctx.facts[sg.name].shareable or f.shareable))
    return found


def merge_composite(ctx: MergeContext, dest: MType) -> None:
    sources = [(sg, t) for sg, t in _sources(ctx, dest.name) if t.kind in ("object", "interface")]
    type_graphs = [sg.name for sg, _ in sources]
    order: dict[str, None] = {}
    for _, t in sources:
        for name in t.fields:
            order.setdefault(name, None)
    for name in order:
        field_sources = [Source(sg, t.fields[name], t) for sg, t in sources if name in t.fields]
        extra: list[tuple[str, bool]] = []
        for sg in ctx.subgraphs:
            for _, shareable in _interface_object_fields(ctx, dest, sg, name):
                extra.append((sg.name, shareable))
        merged = merge_output_field(ctx, dest, field_sources, type_graphs, extra)
        if merged is not None:
            dest.fields[name] = merged


def merge_input(ctx: MergeContext, dest: MType) -> None:
    sources = _sources(ctx, dest.name)
    order: dict[str, None] = {}
    for _, t in sources:
        for name in t.fields:
            order.setdefault(name, None)
    for name in order:
        present = [(sg.name, t.fields[name]) for sg, t in sources if name in t.fields]
        coordinate = f"{dest.name}.{name}"
        merged_type, all_equal = merge_type_reference(ctx, present, coordinate, True)
        if len(present) < len(sources):
            required = [n for n, f in present if is_required(f.type, f.default)]
            if required:
                missing = [sg.name for sg, t in sources if name not in t.fields]
                ctx.error(
                    "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                    f'Input object field "{coordinate}" is required in some subgraphs but does not '
                    f'appear in all subgraphs: it is required in subgraph "{required[0]}" but does '
                    f'not appear in subgraph "{missing[0]}"',
                    dest.name,
                    name,
                )
            continue
        field = MField(name=name, type=merged_type)
        merge_common(field, [f for _, f in present], ctx.composed)
        default, incompatible = merge_default([f.default for _, f in present])
        if incompatible:
            ctx.error(
                "INPUT_FIELD_DEFAULT_MISMATCH",
                f'Input field "{coordinate}" has incompatible default values across subgraphs: '
                + ", ".join(
                    f"default value {print_ast(f.default) if f.default else 'none'} in "
                    f'subgraph "{n}"'
                    for n, f in present
                ),
                dest.name,
                name,
            )
        field.default = default
        if not all_equal:
            field.joins = [JoinField(graph=n, type=print_ast(f.type)) for n, f in present]
        dest.fields[name] = field
    if not dest.fields:
        ctx.error(
            "EMPTY_MERGED_INPUT_TYPE",
            f'None of the fields of input object type "{dest.name}" are consistently defined in '
            "all the subgraphs defining that type. As only fields common to all subgraphs are "
            "merged, this would result in an empty type.",
            dest.name,
        )


def merge_enum(ctx: MergeContext, dest: MType) -> None:
    sources = _sources(ctx, dest.name)
    usage = ctx.enum_usage.get(dest.name, "Output")
    order: dict[str, None] = {}
    for _, t in sources:
        for name in t.values:
            order.setdefault(name, None)
    for name in order:
        present = [(sg.name, t.values[name]) for sg, t in sources if name in t.values]
        value = MEnumValue(name=name, graphs=[n for n, _ in present])
        merge_common(value, [v for _, v in present], ctx.composed)
        if len(present) < len(sources):
            if usage == "Input":
                continue
            if usage == "Both":
                missing = [sg.name for sg, t in sources if name not in t.values]
                ctx.error(
                    "ENUM_VALUE_MISMATCH",
                    f'Enum type "{dest.name}" is used as both input type and output type, but '
                    f'value "{name}" is not defined in all the subgraphs defining "{dest.name}": '
                    f'"{name}" is defined in subgraph "{present[0][0]}" but not in subgraph '
                    f'"{missing[0]}"',
                    dest.name,
                )
        dest.values[name] = value
    if not dest.values:
        ctx.error(
            "EMPTY_MERGED_ENUM_TYPE",
            f'None of the values of enum type "{dest.name}" are defined consistently in all the '
            "subgraphs defining that type. As only values common to all subgraphs are merged, "
            "this would result in an empty type.",
            dest.name,
        )


def add_interface_object_fields(ctx: MergeContext) -> None:
    """Implementations get the fields an @interfaceObject adds, with a bare @join__field and
    the field's authorization requirements (as Apollo: the only way to guard such a field)."""
    for interface in ctx.types.values():
        if interface.kind != "interface":
            continue
        if not any(j.interface_object for j in interface.join_types):
            continue
        for implementation in ctx.types.values():
            if implementation.kind != "object" or interface.name not in implementation.interfaces:
                continue
            for name, f in interface.fields.items():
                if name in implementation.fields:
                    continue
                copy = MField(
                    name=f.name, description=f.description, inaccessible=f.inaccessible,
                    tags=list(f.tags), deprecated=f.deprecated, type=f.type, args=dict(f.args),
                    joins=[JoinField(graph=None)], authenticated=f.authenticated,
                    scopes=f.scopes, policies=f.policies,
                )  # fmt: skip
                implementation.fields[name] = copy


def check_interface_implementations(ctx: MergeContext) -> None:
    for t in ctx.types.values():
        if t.kind not in ("object", "interface"):
            continue
        for interface in t.interfaces:
            target = ctx.types.get(interface)
            if target is None:
                continue
            for name in target.fields:
                if name not in t.fields:
                    ctx.error(
                        "INTERFACE_FIELD_NO_IMPLEM",
                        f'Interface field "{interface}.{name}" is declared in some subgraphs but '
                        f'type "{t.name}", which implements "{interface}" in the supergraph, does '
                        f'not have field "{name}".',
                        t.name,
                        name,
                    )


def propagate_authorization(ctx: MergeContext) -> None:
    """An interface (and each of its fields) requires what its implementations require, so a
    query through the interface cannot reach what a query through the type may not (Apollo
    composition adds the implementations' @authenticated, @requiresScopes and @policy)."""
    for interface in ctx.types.values():
        if interface.kind != "interface":
            continue
        implementations = [
            t for t in ctx.types.values() if t.kind == "object" and interface.name in t.interfaces
        ]
        _require_all(interface, implementations)
        for name, field in interface.fields.items():
            _require_all(field, [t.fields[name] for t in implementations if name in t.fields])


def _require_all(element: MElement, others: list[MType] | list[MField]) -> None:
    everything: list[MElement] = [element, *others]
    element.authenticated = any(e.authenticated for e in everything)
    element.scopes = conjunction([e.scopes for e in everything if e.scopes is not None])
    element.policies = conjunction([e.policies for e in everything if e.policies is not None])


def merge_all(ctx: MergeContext) -> None:
    merge_shells(ctx)
    if ctx.errors:
        return
    for t in list(ctx.types.values()):
        if t.kind in ("object", "interface"):
            merge_composite(ctx, t)
        elif t.kind == "input":
            merge_input(ctx, t)
    for t in list(ctx.types.values()):
        if t.kind == "enum":
            merge_enum(ctx, t)
    add_interface_object_fields(ctx)
    check_interface_implementations(ctx)
    propagate_authorization(ctx)
    if "Query" not in ctx.types:
        ctx.error(
            "NO_QUERIES",
            "No queries found in any subgraph: a supergraph must have a query root type.",
        )
