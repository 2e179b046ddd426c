"""Merging one output field (object or interface) across subgraphs: types, arguments,
@external, @shareable, @override and the @join__field applications."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graphql import TypeNode, print_ast

from router.compose.context import MergeContext, merge_common, merge_default
from router.compose.model import JoinField, MArg, MField, MType
from router.compose.subgraph import Arg, Field, Subgraph, TypeDef, named_type, type_str
from router.compose.typeref import is_required, is_strict_subtype, same_type
from router.compose.validate_subgraph import LABEL, PERCENT


@dataclass
class Source:
    sg: Subgraph
    field: Field
    parent: TypeDef
    used_overridden: bool = False
    unused_overridden: bool = False
    override_label: str | None = None


def _printable_value(value: object) -> str | None:
    return None if value is None else print_ast(value)  # type: ignore[arg-type]


def merge_type_reference(
    ctx: MergeContext,
    sources: Sequence[tuple[str, Field | Arg]],
    coordinate: str,
    input_position: bool,
    is_argument: bool = False,
) -> tuple[TypeNode, bool]:
    """The supergraph type of a field/argument, and whether every subgraph agrees exactly."""
    named = ctx.named_subtype()
    dest = None
    has_subtypes = incompatible = False
    for _, source in sources:
        if dest is None or same_type(dest, source.type):
            dest = source.type
        elif is_strict_subtype(dest, source.type, named):
            has_subtypes = True
            if input_position:
                dest = source.type
        elif is_strict_subtype(source.type, dest, named):
            has_subtypes = True
            if not input_position:
                dest = source.type
        else:
            incompatible = True
    assert dest is not None
    base = named_type(dest)
    if (base in ctx.types and ctx.types[base].kind == "enum") or _is_enum_anywhere(ctx, base):
        ctx.record_enum_usage(base, "Input" if input_position else "Output")
    if incompatible:
        what = "argument" if is_argument else "field"
        described = ", ".join(f'type "{type_str(s.type)}" in subgraph "{n}"' for n, s in sources)
        ctx.error(
            "FIELD_ARGUMENT_TYPE_MISMATCH" if is_argument else "FIELD_TYPE_MISMATCH",
            f'Type of {what} "{coordinate}" is incompatible across subgraphs: it has {described}',
            coordinate.split(".")[0],
            coordinate.split(".")[1].split("(")[0] if "." in coordinate else None,
        )
        return dest, False
    return dest, not has_subtypes


def _is_enum_anywhere(ctx: MergeContext, name: str) -> bool:
    return any(getattr(sg.types.get(name), "kind", None) == "enum" for sg in ctx.subgraphs)


def merge_arguments(
    ctx: MergeContext, sources: list[Source], dest: MField, coordinate: str
) -> None:
    names: list[str] = []
    for source in sources:
        for name in source.field.args:
            if name not in names:
                names.append(name)
    for name in names:
        present = [(s.sg.name, s.field.args[name]) for s in sources if name in s.field.args]
        arg_coordinate = f"{coordinate}({name}:)"
        if len(present) < len(sources):
            required_in = [n for n, a in present if is_required(a.type, a.default)]
            if required_in:
                missing = [s.sg.name for s in sources if name not in s.field.args]
                ctx.error(
                    "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
                    f'Argument "{arg_coordinate}" is required in some subgraphs but does not '
                    f'appear in all subgraphs: it is required in subgraph "{required_in[0]}" but '
                    f'does not appear in subgraph "{missing[0]}"',
                    dest_parent(coordinate),
                    dest.name,
                )
            continue
        merged_type, _ = merge_type_reference(ctx, present, arg_coordinate, True, True)
        arg = MArg(name=name, type=merged_type)
        merge_common(arg, [a for _, a in present], ctx.composed)
        default, incompatible = merge_default([a.default for _, a in present])
        if incompatible:
            ctx.error(
                "FIELD_ARGUMENT_DEFAULT_MISMATCH",
                f'Argument "{arg_coordinate}" has incompatible default values across subgraphs: '
                + ", ".join(
                    f'"{_printable_value(a.default)}" in subgraph "{n}"' for n, a in present
                ),
                dest_parent(coordinate),
                dest.name,
            )
        arg.default = default
        dest.args[name] = arg


def dest_parent(coordinate: str) -> str:
    return coordinate.split(".")[0]


def resolve_overrides(ctx: MergeContext, sources: list[Source], coordinate: str) -> None:
    """Apollo's validateOverride: mark overridden sources and report invalid overrides."""
    by_name = {s.sg.name: s for s in sources}
    names = {sg.name for sg in ctx.subgraphs}
    type_name, field_name = coordinate.split(".")
    for source in sources:
        target = source.field.override
        if target is None:
            continue
        if source.parent.kind == "interface":
            continue  # reported by the subgraph checks
        if source.parent.interface_object:
            ctx.error(
                "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                "@override is not yet supported on fields of @interfaceObject types: cannot be "
                f'used on field "{coordinate}" on subgraph "{source.sg.name}".',
                type_name, field_name, source.sg.name,
            )  # fmt: skip
            continue
        if target not in names or target == source.sg.name:
            continue  # a hint in Apollo / reported by the subgraph checks
        origin = by_name.get(target)
        if origin is None:
            continue
        if origin.field.override is not None:
            ctx.error(
                "OVERRIDE_SOURCE_HAS_OVERRIDE",
                f'Field "{coordinate}" on subgraph "{source.sg.name}" is also marked with '
                f'directive @override in subgraph "{target}". Only one @override directive is '
                "allowed per field.",
                type_name, field_name, source.sg.name,
            )  # fmt: skip
            continue
        conflict = None
        if origin.field.requires is not None:
            conflict = ("requires", target)
        elif origin.field.provides is not None:
            conflict = ("provides", target)
        elif source.field.external:
            conflict = ("external", source.sg.name)
        if conflict is not None:
            ctx.error(
                "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                f'@override cannot be used on field "{coordinate}" on subgraph '
                f'"{source.sg.name}" since "{coordinate}" on "{conflict[1]}" is marked with '
                f'directive "@{conflict[0]}"',
                type_name, field_name, source.sg.name,
            )  # fmt: skip
            continue
        if origin.field.external:
            continue  # Apollo: a hint, the override can be removed
        if (type_name, field_name) in ctx.facts[target].used:
            origin.used_overridden = True
        else:
            origin.unused_overridden = True
        label = source.field.override_label
        if label is not None and (LABEL.match(label) or PERCENT.match(label)):
            source.override_label = label
            origin.override_label = label


def is_external(source: Source) -> bool:
    return source.field.external


def is_fully_external(ctx: MergeContext, source: Source) -> bool:
    pair = (source.parent.name, source.field.name)
    return source.field.external and pair not in ctx.facts[source.sg.name].provided


def validate_sharing(
    ctx: MergeContext, sources: list[Source], coordinate: str, extra: list[tuple[str, bool]]
) -> None:
    """INVALID_FIELD_SHARING: a field resolved by several subgraphs must be @shareable."""
    resolving: list[str] = []
    non_shareable: list[str] = []
    for source in sources:
        if source.used_overridden or source.unused_overridden:
            continue
        if is_fully_external(ctx, source):
            continue
        resolving.append(source.sg.name)
        pair = (source.parent.name, source.field.name)
        if pair not in ctx.facts[source.sg.name].shareable:
            non_shareable.append(source.sg.name)
    for name, shareable in extra:
        resolving.append(name)
        if not shareable:
            non_shareable.append(name)
    if non_shareable and len(resolving) > 1:
        listed = " and ".join(f'"{n}"' for n in resolving)
        which = (
            "all of them"
            if len(non_shareable) == len(resolving)
            else " and ".join(f'"{n}"' for n in non_shareable)
        )
        ctx.error(
            "INVALID_FIELD_SHARING",
            f'Non-shareable field "{coordinate}" is resolved from multiple subgraphs: it is '
            f"resolved from subgraphs {listed} and defined as non-shareable in {which}",
            coordinate.split(".")[0],
            coordinate.split(".")[1],
        )


def merge_output_field(
    ctx: MergeContext,
    dest_type: MType,
    sources: list[Source],
    type_graphs: list[str],
    extra_sharing: list[tuple[str, bool]],
) -> MField | None:
    name = sources[0].field.name
    coordinate = f"{dest_type.name}.{name}"
    if all(is_external(s) for s in sources) and not extra_sharing:
        listed = " and ".join(f'"{s.sg.name}"' for s in sources)
        ctx.error(
            "EXTERNAL_MISSING_ON_BASE",
            f'Field "{coordinate}" is marked @external on all the subgraphs in which it is listed '
            f"(subgraph{'s' if len(sources) > 1 else ''} {listed}).",
            dest_type.name,
            name,
        )
        return None
    resolve_overrides(ctx, sources, coordinate)
    if dest_type.kind == "object":
        validate_sharing(ctx, sources, coordinate, extra_sharing)
    internal = [s for s in sources if not is_external(s)] or sources
    merged_type, all_equal = merge_type_reference(
        ctx, [(s.sg.name, s.field) for s in internal], coordinate, False
    )
    dest = MField(name=name, type=merged_type)
    merge_common(dest, [s.field for s in internal], ctx.composed)
    # @inaccessible on an external declaration still counts (Apollo merges it from all).
    dest.inaccessible = any(s.field.inaccessible for s in sources)
    merge_arguments(ctx, internal, dest, coordinate)
    validate_external_types(ctx, sources, dest, all_equal, coordinate)
    if needs_join_field(sources, type_graphs, all_equal):
        dest.joins = [
            JoinField(
                graph=s.sg.name,
                requires=s.field.requires,
                provides=s.field.provides,
                type=None if all_equal else type_str(s.field.type),
                external=s.field.external,
                override=s.field.override,
                used_overridden=s.used_overridden,
                override_label=s.override_label,
            )
            for s in sources
            if not (s.unused_overridden and s.override_label is None)
        ]
    return dest


def validate_external_types(
    ctx: MergeContext, sources: list[Source], dest: MField, all_equal: bool, coordinate: str
) -> None:
    named = ctx.named_subtype()
    for source in sources:
        if not source.field.external:
            continue
        t = source.field.type
        if not (
            same_type(dest.type, t) or (not all_equal and is_strict_subtype(dest.type, t, named))
        ):
            ctx.error(
                "EXTERNAL_TYPE_MISMATCH",
                f'Type of field "{coordinate}" is incompatible across subgraphs (where marked '
                f'@external): it has type "{type_str(t)}" in subgraph "{source.sg.name}" but '
                f'type "{type_str(dest.type)}" in the supergraph',
                dest_parent(coordinate),
                dest.name,
            )
        for arg_name, dest_arg in dest.args.items():
            arg = source.field.args.get(arg_name)
            arg_coordinate = f"{coordinate}({arg_name}:)"
            if arg is None:
                ctx.error(
                    "EXTERNAL_ARGUMENT_MISSING",
                    f'Field "{coordinate}" is missing argument "{arg_coordinate}" in '
                    f'subgraph "{source.sg.name}" where it is marked @external.',
                    dest_parent(coordinate),
                    dest.name,
                )
                continue
            if not same_type(dest_arg.type, arg.type) and not is_strict_subtype(
                arg.type, dest_arg.type, named
            ):
                ctx.error(
                    "EXTERNAL_ARGUMENT_TYPE_MISMATCH",
                    f'Type of argument "{arg_coordinate}" is incompatible across subgraphs '
                    f'(where "{coordinate}" is marked @external): it has type '
                    f'"{type_str(arg.type)}" in subgraph "{source.sg.name}"',
                    dest_parent(coordinate),
                    dest.name,
                )
            if _printable_value(dest_arg.default) != _printable_value(arg.default):
                ctx.error(
                    "EXTERNAL_ARGUMENT_DEFAULT_MISMATCH",
                    f'Argument "{arg_coordinate}" has incompatible defaults across subgraphs '
                    f'(where "{coordinate}" is marked @external): it has default value '
                    f'{_printable_value(arg.default)} in subgraph "{source.sg.name}" but '
                    f"{_printable_value(dest_arg.default)} in the supergraph",
                    dest_parent(coordinate),
                    dest.name,
                )


def needs_join_field(sources: list[Source], type_graphs: list[str], all_equal: bool) -> bool:
    """Apollo's needsJoinField: omit @join__field when every subgraph of the type agrees."""
    if not all_equal:
        return True
    if any(s.used_overridden or s.override_label for s in sources):
        return True
    present = {s.sg.name: s for s in sources}
    for graph in type_graphs:
        source = present.get(graph)
        if source is None or source.unused_overridden:
            return True
        f = source.field
        if f.external or f.provides is not None or f.requires is not None:
            return True
    return False
