"""A subgraph SDL -> the model composition works on.

Resolves federation directive names through `@link` (imports, `as:`, `federation__` prefixes),
renames root types to Query/Mutation/Subscription, and drops the federation machinery
(`_service`, `_entities`, `_Any`, `_Entity`, `_Service`, `FieldSet`, link definitions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graphql import (
    ConstDirectiveNode,
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
    parse,
    print_ast,
)
from graphql.error import GraphQLSyntaxError
from graphql.language import (
    BooleanValueNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
)

from router.compose.errors import CompositionError

FEDERATION_SPEC = "https://specs.apollo.dev/federation/v"
FEDERATION_DIRECTIVES = (
    "key requires provides external shareable extends override inaccessible tag interfaceObject "
    "composeDirective authenticated requiresScopes policy context fromContext cost listSize "
    "cacheTag"
).split()
# Federation features Mosaic does not compose (yet); using one is a composition error.
UNSUPPORTED = {"context", "fromContext", "cacheTag"}
ROOTS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
MACHINERY_TYPES = {"_Service", "_Any", "_Entity", "_FieldSet", "FieldSet"}
MACHINERY_PREFIXES = ("link__", "federation__")
BUILTIN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}

TypeDefNode = (
    ObjectTypeDefinitionNode
    | ObjectTypeExtensionNode
    | InterfaceTypeDefinitionNode
    | InterfaceTypeExtensionNode
    | UnionTypeDefinitionNode
    | UnionTypeExtensionNode
    | EnumTypeDefinitionNode
    | EnumTypeExtensionNode
    | InputObjectTypeDefinitionNode
    | InputObjectTypeExtensionNode
    | ScalarTypeDefinitionNode
    | ScalarTypeExtensionNode
)
KINDS: dict[type, str] = {
    ObjectTypeDefinitionNode: "object",
    ObjectTypeExtensionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    InterfaceTypeExtensionNode: "interface",
    UnionTypeDefinitionNode: "union",
    UnionTypeExtensionNode: "union",
    EnumTypeDefinitionNode: "enum",
    EnumTypeExtensionNode: "enum",
    InputObjectTypeDefinitionNode: "input",
    InputObjectTypeExtensionNode: "input",
    ScalarTypeDefinitionNode: "scalar",
    ScalarTypeExtensionNode: "scalar",
}


@dataclass(frozen=True)
class Key:
    fields: str
    resolvable: bool = True
    extension: bool = False


@dataclass
class Common:
    """What every schema element may carry."""

    name: str
    description: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    deprecated: str | None = None  # the reason, when deprecated
    directives: list[ConstDirectiveNode] = field(default_factory=list)  # composed/custom ones
    cost: int | None = None  # @cost(weight:)
    list_size: ConstDirectiveNode | None = None  # @listSize(...)
    authenticated: bool = False  # @authenticated
    scopes: tuple[tuple[str, ...], ...] | None = None  # @requiresScopes(scopes:)
    policies: tuple[tuple[str, ...], ...] | None = None  # @policy(policies:)


@dataclass(kw_only=True)
class Arg(Common):
    type: TypeNode
    default: ValueNode | None = None


@dataclass(kw_only=True)
class Field(Common):
    type: TypeNode
    args: dict[str, Arg] = field(default_factory=dict)
    default: ValueNode | None = None  # input fields only
    external: bool = False
    shareable: bool = False
    requires: str | None = None
    provides: str | None = None
    override: str | None = None
    override_label: str | None = None
    from_extension: bool = False


@dataclass(kw_only=True)
class EnumValue(Common):
    pass


@dataclass(kw_only=True)
class TypeDef(Common):
    kind: str = "object"
    fields: dict[str, Field] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValue] = field(default_factory=dict)
    keys: list[Key] = field(default_factory=list)
    interface_object: bool = False
    extension_only: bool = True
    specified_by: str | None = None


@dataclass(frozen=True)
class Link:
    url: str
    imports: tuple[tuple[str, str], ...]  # (name in spec, name in schema)
    prefix: str


@dataclass
class Subgraph:
    name: str
    url: str
    types: dict[str, TypeDef]
    fed_version: tuple[int, int]
    links: list[Link]
    compose_directives: list[str]
    directive_defs: dict[str, DirectiveDefinitionNode]
    fed1: bool = False
    directive_names: dict[str, str] = field(default_factory=dict)  # name in schema -> federation

    def local_name(self, federation_name: str) -> str:
        """What this subgraph calls a federation directive (`@link` imports may rename it)."""
        for local, name in self.directive_names.items():
            if name == federation_name:
                return local
        return federation_name

    def type(self, name: str) -> TypeDef | None:
        return self.types.get(name)


def named_type(node: TypeNode) -> str:
    while isinstance(node, ListTypeNode | NonNullTypeNode):
        node = node.type
    assert isinstance(node, NamedTypeNode)
    return node.name.value


def type_str(node: TypeNode) -> str:
    return print_ast(node)


def _arg(directive: ConstDirectiveNode, name: str) -> ValueNode | None:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return argument.value
    return None


def _string_lists(directive: ConstDirectiveNode, name: str) -> tuple[tuple[str, ...], ...]:
    """`[["a", "b"], ["c"]]` (an OR of ANDs) from a directive argument."""
    value = _arg(directive, name)
    out: list[tuple[str, ...]] = []
    for inner in value.values if isinstance(value, ListValueNode) else ():
        items = inner.values if isinstance(inner, ListValueNode) else (inner,)
        out.append(tuple(i.value for i in items if isinstance(i, StringValueNode)))
    return tuple(out)


def _str_arg(directive: ConstDirectiveNode, name: str) -> str | None:
    value = _arg(directive, name)
    return value.value if isinstance(value, StringValueNode) else None


def _bool_arg(directive: ConstDirectiveNode, name: str, default: bool) -> bool:
    value = _arg(directive, name)
    return value.value if isinstance(value, BooleanValueNode) else default


def _parse_link(directive: ConstDirectiveNode) -> Link | None:
    url = _str_arg(directive, "url")
    if url is None:
        return None
    imports: list[tuple[str, str]] = []
    raw = _arg(directive, "import")
    for item in raw.values if isinstance(raw, ListValueNode) else ():
        if isinstance(item, StringValueNode):
            imports.append((item.value, item.value))
        elif isinstance(item, ObjectValueNode):
            values = {f.name.value: f.value for f in item.fields}
            name, alias = values.get("name"), values.get("as")
            if isinstance(name, StringValueNode):
                local = alias.value if isinstance(alias, StringValueNode) else name.value
                imports.append((name.value, local))
    spec_name = url.rstrip("/").split("/")[-2] if "/v" in url else url.rstrip("/").split("/")[-1]
    prefix = _str_arg(directive, "as") or spec_name
    return Link(url=url, imports=tuple(imports), prefix=prefix)


def _fed_version(url: str) -> tuple[int, int]:
    match = re.search(r"/v(\d+)\.(\d+)", url)
    return (int(match.group(1)), int(match.group(2))) if match else (2, 0)


class _Builder:
    def __init__(self, name: str, url: str, document: DocumentNode) -> None:
        self.name = name
        self.url = url
        self.document = document
        self.errors: list[CompositionError] = []
        self.directive_names: dict[str, str] = {}  # name in schema -> federation name
        self.links: list[Link] = []
        self.fed_version = (2, 0)
        self.fed1 = True
        self.roots: dict[str, str] = {}
        self.types: dict[str, TypeDef] = {}
        self.compose_directives: list[str] = []
        self.directive_defs: dict[str, DirectiveDefinitionNode] = {}
        self.fed_prefix = "federation"
        self.external_types: set[str] = set()
        self.current_type: str | None = None
        self.defined: set[str] = set()

    def error(
        self, code: str, message: str, type_: str | None = None, f: str | None = None
    ) -> None:
        self.errors.append(CompositionError(code, f"[{self.name}] {message}", self.name, type_, f))

    def fed(self, directive: ConstDirectiveNode) -> str | None:
        """The federation directive this application is, if any."""
        return self.directive_names.get(directive.name.value)

    def read_schema(self) -> None:
        operation_types: dict[str, str] = {}
        for definition in self.document.definitions:
            if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
                for directive in definition.directives or ():
                    if directive.name.value == "link":
                        link = _parse_link(directive)
                        if link:
                            self.links.append(link)
                for op in definition.operation_types or ():
                    operation_types[op.operation.value] = op.type.name.value
        for link in self.links:
            if link.url.startswith(FEDERATION_SPEC):
                self.fed1 = False
                self.fed_version = _fed_version(link.url)
                self.fed_prefix = link.prefix
                imported = {spec[1:]: local[1:] for spec, local in link.imports if spec[:1] == "@"}
                for name in FEDERATION_DIRECTIVES:
                    self.directive_names[imported.get(name, f"{link.prefix}__{name}")] = name
        if self.fed1:
            fed1 = ("key", "requires", "provides", "external", "extends", "tag", "inaccessible")
            self.directive_names = {name: name for name in fed1}
        for link in self.links:
            if link.url.startswith(FEDERATION_SPEC):
                continue
        for operation, canonical in ROOTS.items():
            local = operation_types.get(operation, canonical)
            self.roots[local] = canonical

    def rename(self, name: str) -> str:
        return self.roots.get(name, name)

    def retype(self, node: TypeNode) -> TypeNode:
        if isinstance(node, NonNullTypeNode):
            inner = self.retype(node.type)
            assert isinstance(inner, NamedTypeNode | ListTypeNode)
            return NonNullTypeNode(type=inner)
        if isinstance(node, ListTypeNode):
            return ListTypeNode(type=self.retype(node.type))
        assert isinstance(node, NamedTypeNode)
        return NamedTypeNode(name=type(node.name)(value=self.rename(node.name.value)))

    def is_machinery(self, name: str) -> bool:
        return (
            name in MACHINERY_TYPES
            or name.startswith(MACHINERY_PREFIXES)
            or (name.startswith(f"{self.fed_prefix}__"))
        )

    def apply_common(self, element: Common, directives: tuple[ConstDirectiveNode, ...]) -> None:
        for directive in directives:
            fed = self.fed(directive)
            if fed == "inaccessible":
                element.inaccessible = True
            elif fed == "tag":
                tag = _str_arg(directive, "name")
                if tag is not None and tag not in element.tags:
                    element.tags.append(tag)
            elif directive.name.value == "deprecated":
                element.deprecated = _str_arg(directive, "reason") or "No longer supported"
            elif fed == "cost":
                weight = _arg(directive, "weight")
                if isinstance(weight, IntValueNode):
                    element.cost = int(weight.value)
            elif fed == "listSize":
                element.list_size = directive
            elif fed == "authenticated":
                element.authenticated = True
            elif fed == "requiresScopes":
                element.scopes = _string_lists(directive, "scopes")
            elif fed == "policy":
                element.policies = _string_lists(directive, "policies")
            elif fed in UNSUPPORTED:
                # Failing loudly beats a supergraph that silently lacks e.g. @authenticated.
                type_name = self.current_type or element.name
                field_name = None if element.name == type_name else element.name
                where = f"{type_name}.{field_name}" if field_name else type_name
                self.error(
                    "UNSUPPORTED_FEATURE",
                    f'@{fed} (on "{where}") is not supported by Mosaic\'s composition yet',
                    type_name,
                    field_name,
                )
            elif fed is None and directive.name.value != "specifiedBy":
                element.directives.append(directive)

    def make_arg(self, node: InputValueDefinitionNode) -> Arg:
        arg = Arg(
            name=node.name.value,
            description=node.description.value if node.description else None,
            type=self.retype(node.type),
            default=node.default_value,
        )
        self.apply_common(arg, tuple(node.directives or ()))
        return arg

    def make_field(
        self,
        node: FieldDefinitionNode | InputValueDefinitionNode,
        extension: bool,
        type_shareable: bool,
        type_external: bool,
    ) -> Field:
        result = Field(
            name=node.name.value,
            description=node.description.value if node.description else None,
            type=self.retype(node.type),
            from_extension=extension,
            shareable=type_shareable,
            external=type_external,
        )
        if isinstance(node, FieldDefinitionNode):
            result.args = {a.name.value: self.make_arg(a) for a in node.arguments or ()}
        else:
            result.default = node.default_value
        directives = tuple(node.directives or ())
        self.apply_common(result, directives)
        for directive in directives:
            fed = self.fed(directive)
            if fed == "external":
                result.external = True
            elif fed == "shareable":
                result.shareable = True
            elif fed == "requires":
                result.requires = _str_arg(directive, "fields")
            elif fed == "provides":
                result.provides = _str_arg(directive, "fields")
            elif fed == "override":
                result.override = _str_arg(directive, "from")
                result.override_label = _str_arg(directive, "label")
        return result

    def read_type(self, node: TypeDefNode) -> None:
        name = self.rename(node.name.value)
        if self.is_machinery(name):
            return
        kind = KINDS[type(node)]
        self.current_type = name
        extension = isinstance(
            node,
            ObjectTypeExtensionNode
            | InterfaceTypeExtensionNode
            | UnionTypeExtensionNode
            | EnumTypeExtensionNode
            | InputObjectTypeExtensionNode
            | ScalarTypeExtensionNode,
        )
        directives = tuple(node.directives or ())
        if any(self.fed(d) == "extends" for d in directives):
            extension = True
        typedef = self.types.get(name)
        if typedef is None:
            typedef = TypeDef(name=name, kind=kind)
            self.types[name] = typedef
        elif typedef.kind != kind:
            self.error("INVALID_GRAPHQL", f'Type "{name}" is defined with several kinds', name)
            return
        if not extension:
            if name in self.defined:
                self.error("INVALID_GRAPHQL", f'There can be only one type named "{name}".', name)
            self.defined.add(name)
            typedef.extension_only = False
        description = getattr(node, "description", None)
        if description is not None:
            typedef.description = description.value
        self.apply_common(typedef, directives)
        type_shareable = type_external = False
        for directive in directives:
            fed = self.fed(directive)
            if fed == "key":
                fields = _str_arg(directive, "fields")
                if fields is None:
                    self.error("KEY_INVALID_FIELDS", f'@key on "{name}" has no fields', name)
                    continue
                typedef.keys.append(
                    Key(fields, _bool_arg(directive, "resolvable", True), extension)
                )
            elif fed == "shareable":
                type_shareable = True
            elif fed == "external" and not self.fed1:
                self.external_types.add(name)
            elif fed == "interfaceObject":
                typedef.interface_object = True
            elif directive.name.value == "specifiedBy":
                typedef.specified_by = _str_arg(directive, "url")
        for interface in getattr(node, "interfaces", None) or ():
            if interface.name.value not in typedef.interfaces:
                typedef.interfaces.append(interface.name.value)
        for member in getattr(node, "types", None) or ():
            typedef.members.append(self.rename(member.name.value))
        for value in getattr(node, "values", None) or ():
            if isinstance(value, InputValueDefinitionNode):
                continue
            enum_value = EnumValue(
                name=value.name.value,
                description=value.description.value if value.description else None,
            )
            self.apply_common(enum_value, tuple(value.directives or ()))
            typedef.values[enum_value.name] = enum_value
        for field_node in getattr(node, "fields", None) or ():
            if name == "Query" and field_node.name.value in ("_service", "_entities"):
                continue
            typedef.fields[field_node.name.value] = self.make_field(
                field_node, extension, type_shareable, type_external
            )

    def read_definitions(self) -> None:
        fed_names = set(self.directive_names)
        for definition in self.document.definitions:
            if isinstance(definition, DirectiveDefinitionNode):
                name = definition.name.value
                if name in fed_names or name in ("link", "specifiedBy", "deprecated"):
                    continue
                self.directive_defs[name] = definition
            elif isinstance(definition, tuple(KINDS)):
                self.read_type(definition)  # type: ignore[arg-type]
        for directive_node in self._schema_directives():
            if self.fed(directive_node) == "composeDirective":
                composed = _str_arg(directive_node, "name")
                if composed:
                    self.compose_directives.append(composed.lstrip("@"))

    def _schema_directives(self) -> list[ConstDirectiveNode]:
        found: list[ConstDirectiveNode] = []
        for definition in self.document.definitions:
            if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
                found.extend(definition.directives or ())
        return found

    def ensure_query(self) -> None:
        # Every federation subgraph has a Query root (it holds _service and _entities).
        if "Query" not in self.types:
            self.types["Query"] = TypeDef(name="Query", kind="object", extension_only=False)

    def apply_type_level_external(self) -> None:
        # Apollo: @external on any definition of a type makes all its fields external.
        for typedef in self.types.values():
            if typedef.name in self.external_types:
                for f in typedef.fields.values():
                    f.external = True


def parse_subgraph(name: str, url: str, sdl: str) -> tuple[Subgraph | None, list[CompositionError]]:
    """Parse one subgraph; returns the model or the errors that prevent building it."""
    try:
        document = parse(sdl)
    except GraphQLSyntaxError as exc:
        return None, [CompositionError("INVALID_GRAPHQL", f"[{name}] {exc.message}", name)]
    builder = _Builder(name, url, document)
    builder.read_schema()
    builder.read_definitions()
    builder.ensure_query()
    builder.apply_type_level_external()
    if builder.errors:
        return None, builder.errors
    subgraph = Subgraph(
        name=name,
        url=url,
        types=builder.types,
        fed_version=builder.fed_version,
        links=builder.links,
        compose_directives=builder.compose_directives,
        directive_defs=builder.directive_defs,
        fed1=builder.fed1,
        directive_names=builder.directive_names,
    )
    _apply_fake_externals(subgraph)
    if subgraph.fed1:
        # Apollo upgrades fed1 subgraphs first, turning `extend type` into plain definitions.
        for typedef in subgraph.types.values():
            typedef.keys = [Key(k.fields, k.resolvable, False) for k in typedef.keys]
    return subgraph, []


def _apply_fake_externals(subgraph: Subgraph) -> None:
    """Key fields marked @external on an extension are not really external (fed1 heritage)."""
    from router.federation.fieldset import parse_field_set, selected_fields

    for typedef in subgraph.types.values():
        for key in typedef.keys:
            if not key.extension:
                continue
            try:
                selection = parse_field_set(key.fields)
            except GraphQLSyntaxError:
                continue
            for _, node in selected_fields(selection, typedef.name):
                f = typedef.fields.get(node.name.value)
                if f is not None and f.external:
                    f.external = False
