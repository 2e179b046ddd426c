"""The merged model -> supergraph SDL in Apollo's format (link v1.0, join v0.3-v0.5).

Like @apollo/composition, the join version is the lowest the subgraphs' federation versions
need: v0.5 from federation 2.8 (Strawberry's 2.11), v0.4 for 2.7, v0.3 below.
"""

from __future__ import annotations

from pathlib import Path

from graphql import ListValueNode, ObjectValueNode, StringValueNode, ValueNode, print_ast
from graphql.language.block_string import print_block_string

from router.compose.model import (
    JoinField,
    JoinType,
    MArg,
    MElement,
    MergedSupergraph,
    MField,
    MType,
)

JOIN_DEFINITIONS = "\n".join(
    line
    for line in (Path(__file__).parent / "join_v0_5.graphql").read_text().splitlines()
    if not line.startswith("#")
)
LINK_DIRECTIVE = (
    "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) "
    "repeatable on SCHEMA"
)
INACCESSIBLE_DIRECTIVE = (
    "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | "
    "ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
TAG_DIRECTIVE = (
    "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | "
    "ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | "
    "SCHEMA"
)
COST_DIRECTIVE = (
    "directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | "
    "INPUT_FIELD_DEFINITION | OBJECT | SCALAR"
)
AUTHORIZATION_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"
AUTHENTICATED_DIRECTIVE = f"directive @authenticated on {AUTHORIZATION_LOCATIONS}"
REQUIRES_SCOPES_DIRECTIVE = (
    "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on " + AUTHORIZATION_LOCATIONS
)
POLICY_DIRECTIVE = (
    f"directive @policy(policies: [[policy__Policy!]!]!) on {AUTHORIZATION_LOCATIONS}"
)
LIST_SIZE_DIRECTIVE = (
    "directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: "
    "[String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION"
)
JOIN_TYPES = {
    "input join__ContextArgument": """\
input join__ContextArgument {
  name: String!
  type: String!
  context: String!
  selection: join__FieldValue!
}""",
    "scalar join__DirectiveArguments": "scalar join__DirectiveArguments",
    "scalar join__FieldSet": "scalar join__FieldSet",
    "scalar join__FieldValue": "scalar join__FieldValue",
    "scalar link__Import": "scalar link__Import",
    "enum link__Purpose": '''\
enum link__Purpose {
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}''',
}
ROOT_OPERATIONS = (("query", "Query"), ("mutation", "Mutation"), ("subscription", "Subscription"))


def _string(value: str) -> str:
    return print_ast(StringValueNode(value=value))


def print_value(value: ValueNode) -> str:
    """A literal as graphql-js prints it in SDL (`{by: "name"}`, `[1, 2]`)."""
    if isinstance(value, ObjectValueNode):
        return (
            "{" + ", ".join(f"{f.name.value}: {print_value(f.value)}" for f in value.fields) + "}"
        )
    if isinstance(value, ListValueNode):
        return "[" + ", ".join(print_value(v) for v in value.values) + "]"
    return print_ast(value)


def _description(text: str | None, indent: str) -> str:
    if text is None:
        return ""
    block = print_block_string(text)
    return "".join(f"{indent}{line}\n" if line else "\n" for line in block.split("\n"))


class _Printer:
    def __init__(self, merged: MergedSupergraph) -> None:
        self.merged = merged

    def graph(self, name: str) -> str:
        return self.merged.graph_enum(name)

    def join_type(self, join: JoinType) -> str:
        args = [f"graph: {self.graph(join.graph)}"]
        if join.key is not None:
            args.append(f"key: {_string(join.key)}")
        if join.extension:
            args.append("extension: true")
        if not join.resolvable:
            args.append("resolvable: false")
        if join.interface_object:
            args.append("isInterfaceObject: true")
        return f"@join__type({', '.join(args)})"

    def join_field(self, join: JoinField) -> str:
        if join.graph is None:
            return "@join__field"
        args = [f"graph: {self.graph(join.graph)}"]
        for name, value in (
            ("requires", join.requires),
            ("provides", join.provides),
            ("type", join.type),
        ):
            if value is not None:
                args.append(f"{name}: {_string(value)}")
        if join.external:
            args.append("external: true")
        if join.override is not None:
            args.append(f"override: {_string(join.override)}")
        if join.used_overridden:
            args.append("usedOverridden: true")
        if join.override_label is not None:
            args.append(f"overrideLabel: {_string(join.override_label)}")
        return f"@join__field({', '.join(args)})"

    def leading(self, element: MElement) -> list[str]:
        """Printed before the join__ directives (Apollo merges @inaccessible first)."""
        return ["@inaccessible"] if element.inaccessible else []

    @staticmethod
    def authorization(element: MElement) -> list[str]:
        out: list[str] = []
        if element.authenticated:
            out.append("@authenticated")
        if element.scopes is not None:
            out.append(f"@requiresScopes(scopes: {_string_lists(element.scopes)})")
        if element.policies is not None:
            out.append(f"@policy(policies: {_string_lists(element.policies)})")
        return out

    def common(self, element: MElement, authorization: bool = True) -> list[str]:
        out: list[str] = []
        out += [f"@tag(name: {_string(tag)})" for tag in element.tags]
        out += [print_ast(d) for d in element.directives]
        if authorization:
            out += self.authorization(element)
        if element.cost is not None:
            out.append(f"@cost(weight: {element.cost})")
        if element.list_size is not None:
            name = "listSize" if self.merged.uses_list_size else "cost__listSize"
            args = ", ".join(
                f"{a.name.value}: {print_value(a.value)}" for a in element.list_size.arguments or ()
            )
            out.append(f"@{name}({args})" if args else f"@{name}")
        if element.deprecated is not None:
            reason = element.deprecated
            out.append(
                "@deprecated"
                if reason == "No longer supported"
                else f"@deprecated(reason: {_string(reason)})"
            )
        return out

    def arg(self, arg: MArg) -> str:
        text = f"{arg.name}: {print_ast(arg.type)}"
        if arg.default is not None:
            text += f" = {print_value(arg.default)}"
        return " ".join([text, *self.leading(arg), *self.common(arg)])

    def field(self, f: MField, input_field: bool) -> str:
        out = _description(f.description, "  ")
        line = f"  {f.name}"
        if f.args:
            if any(a.description for a in f.args.values()):
                inner = "\n".join(
                    ("\n" if i and a.description else "")
                    + _description(a.description, "    ")
                    + "    "
                    + self.arg(a)
                    for i, a in enumerate(f.args.values())
                )
                line += f"(\n{inner}\n  )"
            else:
                line += "(" + ", ".join(self.arg(a) for a in f.args.values()) + ")"
        line += f": {print_ast(f.type)}"
        if input_field and f.default is not None:
            line += f" = {print_value(f.default)}"
        # A field an @interfaceObject adds to an implementation: Apollo copies the interface
        # field's authorization before adding the bare @join__field.
        copied = f.joins == [JoinField(graph=None)]
        directives = self.leading(f) + (self.authorization(f) if copied else [])
        directives += [self.join_field(j) for j in f.joins or ()]
        directives += self.common(f, authorization=not copied)
        if directives:
            line += " " + " ".join(directives)
        return out + line

    def type(self, t: MType) -> str:
        keyword = {"object": "type", "input": "input"}.get(t.kind, t.kind)
        head = f"{keyword} {t.name}"
        if t.interfaces:
            head += " implements " + " & ".join(t.interfaces)
        # Apollo's order: join__implements, then join__type, then the rest.
        directives = [
            f"@join__implements(graph: {self.graph(g)}, interface: {_string(i)})"
            for g, i in t.implements
        ]
        directives += [self.join_type(j) for j in t.join_types]
        directives += [
            f"@join__unionMember(graph: {self.graph(g)}, member: {_string(m)})"
            for g, m in t.member_joins
        ]
        directives += self.leading(t) + self.common(t)
        if t.specified_by:
            directives.append(f"@specifiedBy(url: {_string(t.specified_by)})")
        text = _description(t.description, "") + head
        text += "".join(f"\n  {d}" for d in directives)
        if t.kind in ("object", "interface", "input"):
            body = "\n".join(
                ("\n" if i and f.description is not None else "") + self.field(f, t.kind == "input")
                for i, f in enumerate(t.fields.values())
            )
            text += ("\n{\n" if directives else " {\n") + body + "\n}"
        elif t.kind == "enum":
            values = []
            for i, v in enumerate(t.values.values()):
                line = "  " + v.name
                joins = [f"@join__enumValue(graph: {self.graph(g)})" for g in v.graphs]
                line += "".join(" " + d for d in self.leading(v) + joins + self.common(v))
                blank = "\n" if i and v.description is not None else ""
                values.append(blank + _description(v.description, "  ") + line)
            text += ("\n{\n" if directives else " {\n") + "\n".join(values) + "\n}"
        elif t.kind == "union" and t.members:
            text += ("\n " if directives else " ") + "= " + " | ".join(t.members)
        return text

    def graph_enum(self) -> str:
        values = "\n".join(
            f"  {g.enum} @join__graph(name: {_string(g.name)}, url: {_string(g.url)})"
            for g in self.merged.graphs
        )
        return "enum join__Graph {\n" + values + "\n}"

    def schema(self) -> str:
        links = [
            '@link(url: "https://specs.apollo.dev/link/v1.0")',
            f'@link(url: "https://specs.apollo.dev/join/v0.{self.merged.join_minor}", '
            "for: EXECUTION)",
        ]
        if self.merged.uses_tag:
            links.append('@link(url: "https://specs.apollo.dev/tag/v0.3")')
        if self.merged.uses_inaccessible:
            links.append('@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)')
        if self.merged.uses_cost or self.merged.uses_list_size:
            cost_import = ', import: ["@listSize"]' if self.merged.uses_list_size else ""
            links.append(f'@link(url: "https://specs.apollo.dev/cost/v0.1"{cost_import})')
        for spec in self.merged.security_specs:
            links.append(f'@link(url: "https://specs.apollo.dev/{spec}/v0.1", for: SECURITY)')
        for link in self.merged.composed_links:
            imports = ", ".join(_string(i) for i in link.imports)
            links.append(f"@link(url: {_string(link.url)}, import: [{imports}])")
        roots = [f"  {op}: {name}" for op, name in ROOT_OPERATIONS if name in self.merged.types]
        return "schema\n" + "".join(f"  {d}\n" for d in links) + "{\n" + "\n".join(roots) + "\n}"

    def print(self) -> str:
        directives: dict[str, str] = {}
        minor = self.merged.join_minor
        for block in JOIN_DEFINITIONS.strip().split("\n\n"):
            if minor < 4:
                if block.startswith("directive @join__directive"):
                    continue
                block = block.replace(", overrideLabel: String", "")
            if minor < 5:
                block = block.replace(", contextArguments: [join__ContextArgument!]", "")
            directives[block.split("(")[0].split()[1]] = block
        directives["@link"] = LINK_DIRECTIVE
        if self.merged.uses_inaccessible:
            directives["@inaccessible"] = INACCESSIBLE_DIRECTIVE
        if self.merged.uses_tag:
            directives["@tag"] = TAG_DIRECTIVE
        if self.merged.uses_cost or self.merged.uses_list_size:
            directives["@cost"] = COST_DIRECTIVE
            list_size = "@listSize" if self.merged.uses_list_size else "@cost__listSize"
            directives[list_size] = LIST_SIZE_DIRECTIVE.replace("@listSize", list_size)
        if self.merged.uses_authenticated:
            directives["@authenticated"] = AUTHENTICATED_DIRECTIVE
        if self.merged.uses_requires_scopes:
            directives["@requiresScopes"] = REQUIRES_SCOPES_DIRECTIVE
        if self.merged.uses_policy:
            directives["@policy"] = POLICY_DIRECTIVE
        for definition in self.merged.directive_defs:
            directives["@" + definition.split("@", 1)[1].split("(")[0].split()[0]] = definition
        types: dict[str, str] = {k.split()[1]: v for k, v in JOIN_TYPES.items()}
        if minor < 5:
            del types["join__ContextArgument"], types["join__FieldValue"]
        if minor < 4:
            del types["join__DirectiveArguments"]
        if self.merged.uses_requires_scopes:
            types["requiresScopes__Scope"] = "scalar requiresScopes__Scope"
        if self.merged.uses_policy:
            types["policy__Policy"] = "scalar policy__Policy"
        types["join__Graph"] = self.graph_enum()
        for t in self.merged.types.values():
            types[t.name] = self.type(t)
        parts = [self.schema()]
        parts += [directives[k] for k in sorted(directives, key=lambda n: (n.lower(), n))]
        parts += [types[k] for k in sorted(types, key=lambda n: (n.lower(), n))]
        return "\n\n".join(parts) + "\n"


def print_supergraph(merged: MergedSupergraph) -> str:
    return _Printer(merged).print()


def _string_lists(lists: tuple[tuple[str, ...], ...]) -> str:
    inner = ("[" + ", ".join(_string(s) for s in alternative) + "]" for alternative in lists)
    return "[" + ", ".join(inner) + "]"
