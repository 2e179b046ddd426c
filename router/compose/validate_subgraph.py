"""Checks on one subgraph before merging: field sets, @external use, @override, interfaces."""

from __future__ import annotations

import re
from collections.abc import Callable

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode
from graphql.error import GraphQLSyntaxError

from router.compose.errors import CompositionError
from router.compose.subgraph import (
    BUILTIN_SCALARS,
    Common,
    Field,
    Subgraph,
    TypeDef,
    named_type,
    type_str,
)
from router.federation.fieldset import parse_field_set

# The authorization directives, in Apollo's order of checking, and whether an element has one.
AUTHORIZATION: tuple[tuple[str, Callable[[Common], bool]], ...] = (
    ("authenticated", lambda e: e.authenticated),
    ("requiresScopes", lambda e: e.scopes is not None),
    ("policy", lambda e: e.policies is not None),
)
LABEL = re.compile(r"^[a-zA-Z][a-zA-Z0-9_\-:./]*$")
PERCENT = re.compile(r"^percent\((\d{1,2}(\.\d{1,8})?|100)\)$")
COMPOSITE = ("object", "interface", "union")


class _Checker:
    def __init__(self, subgraph: Subgraph) -> None:
        self.sg = subgraph
        self.errors: list[CompositionError] = []
        self.used: set[tuple[str, str]] = set()  # (type, field) used by key/requires/provides
        # Apollo throws (and skips its later checks) on a @provides it cannot even target.
        self.aborted = False

    def error(self, code: str, message: str, type_: str | None, f: str | None = None) -> None:
        self.errors.append(
            CompositionError(code, f"[{self.sg.name}] {message}", self.sg.name, type_, f)
        )

    def kind(self, name: str) -> str:
        typedef = self.sg.types.get(name)
        if typedef is not None:
            return typedef.kind
        return "scalar" if name in BUILTIN_SCALARS else "unknown"

    def implementations(self, interface: str) -> list[TypeDef]:
        return [t for t in self.sg.types.values() if interface in t.interfaces]

    # -- field sets ---------------------------------------------------------------------------
    def walk(
        self,
        directive: str,
        selection_set: SelectionSetNode,
        parent: str,
        describe: str,
        on_field: Callable[[TypeDef, Field, bool], None],
        external_parent: bool,
    ) -> None:
        code_invalid = f"{directive.upper()}_INVALID_FIELDS"
        typedef = self.sg.types.get(parent)
        for selection in selection_set.selections:
            if selection.directives:
                self.error(
                    f"{directive.upper()}_DIRECTIVE_IN_FIELDS_ARG",
                    f"{describe}: cannot have directive applications in the "
                    f"@{directive}(fields:) argument.",
                    parent,
                )
            if isinstance(selection, InlineFragmentNode):
                condition = (
                    selection.type_condition.name.value if selection.type_condition else parent
                )
                self.walk(
                    directive, selection.selection_set, condition, describe, on_field,
                    external_parent,
                )  # fmt: skip
                continue
            assert isinstance(selection, FieldNode)
            name = selection.name.value
            if name == "__typename":
                continue
            f = typedef.fields.get(name) if typedef else None
            if typedef is None or f is None:
                self.error(
                    code_invalid,
                    f'{describe}: Cannot query field "{name}" on type "{parent}" (if the field '
                    "is defined in another subgraph, you need to add it to this subgraph with "
                    "@external).",
                    parent,
                    name,
                )
                continue
            assert typedef is not None
            self.used.add((parent, name))
            if typedef.kind == "interface":
                for implementation in self.implementations(parent):
                    if name in implementation.fields:
                        self.used.add((implementation.name, name))
            on_field(typedef, f, selection.selection_set is not None or external_parent)
            target = named_type(f.type)
            composite = self.kind(target) in COMPOSITE
            if composite and selection.selection_set is None:
                self.error(
                    code_invalid,
                    f'{describe}: Field "{name}" of type "{target}" must have a selection of '
                    "subfields.",
                    parent,
                    name,
                )
            elif not composite and selection.selection_set is not None:
                self.error(
                    code_invalid,
                    f'{describe}: Field "{name}" must not have a selection since type '
                    f'"{target}" has no subfields.',
                    parent,
                    name,
                )
            elif selection.selection_set is not None:
                self.walk(
                    directive, selection.selection_set, target, describe, on_field,
                    external_parent or f.external,
                )  # fmt: skip

    def check_field_set(
        self,
        directive: str,
        text: str,
        parent: str,
        describe: str,
        on_field: Callable[[TypeDef, Field, bool], None],
    ) -> None:
        try:
            selection = parse_field_set(text)
        except GraphQLSyntaxError as exc:
            self.error(f"{directive.upper()}_INVALID_FIELDS", f"{describe}: {exc.message}", parent)
            return
        self.walk(directive, selection, parent, describe, on_field, False)

    def check_keys(self, typedef: TypeDef) -> None:
        for key in typedef.keys:
            describe = f'On type "{typedef.name}", for @key(fields: "{key.fields}")'

            def on_field(parent: TypeDef, f: Field, _: bool, describe: str = describe) -> None:
                if f.args:
                    self.error(
                        "KEY_FIELDS_HAS_ARGS",
                        f"{describe}: field {parent.name}.{f.name} cannot be included because it "
                        "has arguments (fields with argument are not allowed in @key)",
                        parent.name,
                        f.name,
                    )
                kind = self.kind(named_type(f.type))
                if kind in ("union", "interface"):
                    self.error(
                        "KEY_FIELDS_SELECT_INVALID_TYPE",
                        f'{describe}: field "{parent.name}.{f.name}" is a {kind.capitalize()} '
                        "type which is not allowed in @key",
                        parent.name,
                        f.name,
                    )

            self.check_field_set("key", key.fields, typedef.name, describe, on_field)

    def check_requires(self, typedef: TypeDef, f: Field) -> None:
        assert f.requires is not None
        describe = f'On field "{typedef.name}.{f.name}", for @requires(fields: "{f.requires}")'
        if typedef.kind == "interface":
            self.error(
                "REQUIRES_UNSUPPORTED_ON_INTERFACE",
                f'Cannot use @requires on field "{typedef.name}.{f.name}" of parent type '
                f'"{typedef.name}": @requires is not yet supported within interfaces',
                typedef.name,
                f.name,
            )

        def on_field(parent: TypeDef, target: Field, nested: bool) -> None:
            if not target.external and not nested:
                self.error(
                    "REQUIRES_FIELDS_MISSING_EXTERNAL",
                    f'{describe}: field "{parent.name}.{target.name}" should not be part of a '
                    "@requires since it is already provided by this subgraph (it is not marked "
                    "@external)",
                    typedef.name,
                    f.name,
                )

        self.check_field_set("requires", f.requires, typedef.name, describe, on_field)

    def check_provides(self, typedef: TypeDef, f: Field) -> None:
        assert f.provides is not None
        coordinate = f"{typedef.name}.{f.name}"
        describe = f'On field "{coordinate}", for @provides(fields: "{f.provides}")'
        if typedef.kind == "interface":
            self.error(
                "PROVIDES_UNSUPPORTED_ON_INTERFACE",
                f'Cannot use @provides on field "{coordinate}" of parent type "{typedef.name}": '
                "@provides is not yet supported within interfaces",
                typedef.name,
                f.name,
            )
        if f.external:
            self.error(
                "EXTERNAL_COLLISION_WITH_ANOTHER_DIRECTIVE",
                f'Cannot have both @provides and @external on field "{coordinate}"',
                typedef.name,
                f.name,
            )
            self.aborted = True
            return
        target = named_type(f.type)
        if self.kind(target) not in COMPOSITE:
            self.error(
                "PROVIDES_ON_NON_OBJECT_FIELD",
                f'Invalid @provides directive on field "{coordinate}": field has type '
                f'"{type_str(f.type)}" which is not a Composite Type',
                typedef.name,
                f.name,
            )
            self.aborted = True
            return

        def on_field(parent: TypeDef, provided: Field, nested: bool) -> None:
            if provided.args:
                self.error(
                    "PROVIDES_FIELDS_HAS_ARGS",
                    f"{describe}: field {parent.name}.{provided.name} cannot be included because "
                    "it has arguments (fields with argument are not allowed in @provides)",
                    typedef.name,
                    f.name,
                )
            if not provided.external and not nested:
                self.error(
                    "PROVIDES_FIELDS_MISSING_EXTERNAL",
                    f'{describe}: field "{parent.name}.{provided.name}" should not be part of a '
                    "@provides since it is already provided by this subgraph (it is not marked "
                    "@external)",
                    typedef.name,
                    f.name,
                )

        self.check_field_set("provides", f.provides, target, describe, on_field)

    def check_override(self, typedef: TypeDef, f: Field) -> None:
        coordinate = f"{typedef.name}.{f.name}"
        if typedef.kind == "interface":
            self.error(
                "OVERRIDE_ON_INTERFACE",
                f'@override cannot be used on field "{coordinate}" on subgraph '
                f'"{self.sg.name}": @override is not supported on interface type fields.',
                typedef.name,
                f.name,
            )
        if f.override == self.sg.name:
            self.error(
                "OVERRIDE_FROM_SELF_ERROR",
                f'Source and destination subgraphs "{self.sg.name}" are the same for overridden '
                f'field "{coordinate}"',
                typedef.name,
                f.name,
            )
        label = f.override_label
        if label is not None and not (LABEL.match(label) or PERCENT.match(label)):
            self.error(
                "OVERRIDE_LABEL_INVALID",
                f'Invalid @override label "{label}" on field "{coordinate}" on subgraph '
                f'"{self.sg.name}": labels must start with a letter and after that may contain '
                "alphanumerics, underscores, minuses, colons, periods, or slashes. "
                'Alternatively, labels may be of the form "percent(x)" where x is a float '
                "between 0-100 inclusive.",
                typedef.name,
                f.name,
            )

    def check_types_exist(self, typedef: TypeDef) -> None:
        names = [named_type(f.type) for f in typedef.fields.values()]
        names += [named_type(a.type) for f in typedef.fields.values() for a in f.args.values()]
        names += typedef.members + typedef.interfaces
        for name in names:
            if name not in self.sg.types and name not in BUILTIN_SCALARS:
                self.error("INVALID_GRAPHQL", f'Unknown type "{name}".', typedef.name)

    def run(self) -> list[CompositionError]:
        for typedef in self.sg.types.values():
            self.check_types_exist(typedef)
        if self.errors:
            return self.errors
        types = list(self.sg.types.values())
        for typedef in types:
            if typedef.kind in ("object", "interface"):
                self.check_keys(typedef)
                if typedef.kind == "interface" and typedef.keys and self.sg.fed_version < (2, 3):
                    self.error(
                        "KEY_UNSUPPORTED_ON_INTERFACE",
                        f'Cannot use @key on interface "{typedef.name}": @key is not yet '
                        "supported on interfaces",
                        typedef.name,
                    )
        for typedef in types:
            for f in typedef.fields.values():
                if f.requires is not None:
                    self.check_requires(typedef, f)
        for typedef in types:
            for f in typedef.fields.values():
                if f.provides is not None and not self.aborted:
                    self.check_provides(typedef, f)
        if self.aborted:
            return self.errors
        for typedef in types:
            if typedef.interface_object and not typedef.keys:
                self.error(
                    "INTERFACE_OBJECT_USAGE_ERROR",
                    "The @interfaceObject directive can only be applied to entity types but type "
                    f'"{typedef.name}" has no @key in this subgraph.',
                    typedef.name,
                )
            for f in typedef.fields.values():
                if f.override is not None:
                    self.check_override(typedef, f)
                if typedef.kind == "interface" and f.external:
                    self.error(
                        "EXTERNAL_ON_INTERFACE",
                        f'Interface type field "{typedef.name}.{f.name}" is marked @external but '
                        "@external is not allowed on interface fields (it is nonsensical).",
                        typedef.name,
                        f.name,
                    )
        self.check_interface_keys()
        self.check_external_used()
        self.check_authorization_placement()
        return self.errors

    def check_authorization_placement(self) -> None:
        """@authenticated, @requiresScopes and @policy cannot go on interfaces, interface fields
        or @interfaceObject types (Apollo since federation 2.9.4: an interface's requirements
        are derived from its implementations instead)."""
        for directive, applied in AUTHORIZATION:
            local = self.sg.local_name(directive)
            for typedef in self.sg.types.values():
                kind = "interface" if typedef.kind == "interface" else "interface object"
                if typedef.kind == "interface" or typedef.interface_object:
                    if applied(typedef):
                        self._misplaced(local, kind, typedef.name, typedef.name, None)
                if typedef.kind != "interface":
                    continue
                for f in typedef.fields.values():
                    if applied(f):
                        self._misplaced(local, "field", f"{typedef.name}.{f.name}",
                                        typedef.name, f.name)  # fmt: skip

    def _misplaced(
        self, directive: str, kind: str, coordinate: str, type_: str, f: str | None
    ) -> None:
        self.error(
            "AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE",
            f'Invalid use of @{directive} on {kind} "{coordinate}": @{directive} cannot be '
            "applied on interfaces, interface fields and interface objects",
            type_,
            f,
        )

    def check_interface_keys(self) -> None:
        for typedef in self.sg.types.values():
            if typedef.kind != "interface" or not typedef.keys:
                continue
            for implementation in self.implementations(typedef.name):
                have = {k.fields for k in implementation.keys}
                missing = [k.fields for k in typedef.keys if k.fields not in have]
                if missing:
                    self.error(
                        "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
                        f'Key @key(fields: "{missing[0]}") on interface type "{typedef.name}" is '
                        f'missing on implementation type "{implementation.name}".',
                        implementation.name,
                    )

    def check_external_used(self) -> None:
        for typedef in self.sg.types.values():
            if typedef.kind not in ("object", "interface"):
                continue
            interface_fields = {
                name
                for interface in typedef.interfaces
                for name in getattr(self.sg.types.get(interface), "fields", {})
            }
            for f in typedef.fields.values():
                if not f.external or (typedef.name, f.name) in self.used:
                    continue
                if f.name in interface_fields:
                    continue
                self.error(
                    "EXTERNAL_UNUSED",
                    f'Field "{typedef.name}.{f.name}" is marked @external but is not used in any '
                    "federation directive (@key, @provides, @requires) or to satisfy an "
                    "interface; the field declaration has no use and should be removed (or the "
                    "field should not be @external).",
                    typedef.name,
                    f.name,
                )


def validate_subgraph(subgraph: Subgraph) -> tuple[list[CompositionError], set[tuple[str, str]]]:
    """Errors in one subgraph, and the (type, field) pairs its field sets use."""
    checker = _Checker(subgraph)
    errors = checker.run()
    return errors, checker.used
