"""@inaccessible rules on the merged schema (main cases of `validateInaccessibleElements`)."""

from __future__ import annotations

from router.compose.context import MergeContext
from router.compose.subgraph import BUILTIN_SCALARS, named_type
from router.compose.typeref import is_required


def validate_inaccessible(ctx: MergeContext) -> None:
    types = ctx.types

    def hidden_type(name: str) -> bool:
        t = types.get(name)
        return t is not None and t.inaccessible

    for t in types.values():
        if t.inaccessible:
            if t.name == "Query":
                ctx.error(
                    "QUERY_ROOT_TYPE_INACCESSIBLE",
                    'Type "Query" is @inaccessible but is the query root type, which must be '
                    "in the API schema.",
                    t.name,
                )
            continue
        if t.kind in ("object", "interface", "input"):
            visible = [f for f in t.fields.values() if not f.inaccessible]
            if t.fields and not visible:
                ctx.error(
                    "ONLY_INACCESSIBLE_CHILDREN",
                    f'Type "{t.name}" is in the API schema but all of its fields are '
                    "@inaccessible.",
                    t.name,
                )
        if t.kind == "enum" and t.values and all(v.inaccessible for v in t.values.values()):
            ctx.error(
                "ONLY_INACCESSIBLE_CHILDREN",
                f'Type "{t.name}" is in the API schema but all of its values are @inaccessible.',
                t.name,
            )
        for f in t.fields.values():
            coordinate = f"{t.name}.{f.name}"
            if f.inaccessible:
                if t.kind == "input" and is_required(f.type, f.default):
                    ctx.error(
                        "REQUIRED_INACCESSIBLE",
                        f'Input field "{coordinate}" is @inaccessible but is a required input '
                        "field of its type.",
                        t.name,
                        f.name,
                    )
                if t.kind in ("object", "interface"):
                    for interface in t.interfaces:
                        i_field = getattr(types.get(interface), "fields", {}).get(f.name)
                        if (
                            i_field is not None
                            and not i_field.inaccessible
                            and not hidden_type(interface)
                        ):
                            ctx.error(
                                "IMPLEMENTED_BY_INACCESSIBLE",
                                f'Field "{coordinate}" is @inaccessible but implements the '
                                f'interface field "{interface}.{f.name}", which is in the API '
                                "schema.",
                                t.name,
                                f.name,
                            )
                continue
            target = named_type(f.type)
            if target not in BUILTIN_SCALARS and hidden_type(target):
                ctx.error(
                    "REFERENCED_INACCESSIBLE",
                    f'Type "{target}" is @inaccessible but is referenced by "{coordinate}", which '
                    "is in the API schema.",
                    t.name,
                    f.name,
                )
            for arg in f.args.values():
                arg_coordinate = f"{coordinate}({arg.name}:)"
                if arg.inaccessible:
                    if is_required(arg.type, arg.default):
                        ctx.error(
                            "REQUIRED_INACCESSIBLE",
                            f'Argument "{arg_coordinate}" is @inaccessible but is a required '
                            "argument of its field.",
                            t.name,
                            f.name,
                        )
                    continue
                if hidden_type(named_type(arg.type)):
                    ctx.error(
                        "REFERENCED_INACCESSIBLE",
                        f'Type "{named_type(arg.type)}" is @inaccessible but is referenced by '
                        f'"{arg_coordinate}", which is in the API schema.',
                        t.name,
                        f.name,
                    )
