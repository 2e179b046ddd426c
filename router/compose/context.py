"""State shared by the merge steps: the subgraphs, per-subgraph facts, errors."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from graphql import (
    ConstDirectiveNode,
    FieldNode,
    InlineFragmentNode,
    SelectionSetNode,
    ValueNode,
    print_ast,
)
from graphql.error import GraphQLSyntaxError

from router.compose.errors import CompositionError
from router.compose.model import Graph, MElement, MType
from router.compose.subgraph import Common, Subgraph, named_type
from router.compose.typeref import NamedSubtype
from router.federation.fieldset import parse_field_set


def graph_enum_names(names: list[str]) -> list[str]:
    """join__Graph values: upper case, non-word chars -> `_`, unique."""
    result: list[str] = []
    for name in names:
        value = re.sub(r"\W", "_", name).upper()
        if value[:1].isdigit():
            value = "_" + value
        if re.search(r"_\d+$", value):
            value += "_"
        candidate, n = value, 0
        while candidate in result:
            n += 1
            candidate = f"{value}_{n}"
        result.append(candidate)
    return result


def collect_field_set(sg: Subgraph, parent: str, text: str) -> set[tuple[str, str]]:
    """Every (type, field) a field set selects, nested ones and interface implementations too."""
    try:
        selection = parse_field_set(text)
    except GraphQLSyntaxError:
        return set()
    found: set[tuple[str, str]] = set()

    def walk(selection_set: SelectionSetNode, parent: str) -> None:
        typedef = sg.types.get(parent)
        for item in selection_set.selections:
            if isinstance(item, InlineFragmentNode):
                condition = item.type_condition.name.value if item.type_condition else parent
                walk(item.selection_set, condition)
                continue
            assert isinstance(item, FieldNode)
            f = typedef.fields.get(item.name.value) if typedef else None
            if typedef is None or f is None:
                continue
            found.add((parent, f.name))
            if typedef.kind == "interface":
                for other in sg.types.values():
                    if parent in other.interfaces and f.name in other.fields:
                        found.add((other.name, f.name))
            if item.selection_set is not None:
                walk(item.selection_set, named_type(f.type))

    walk(selection, parent)
    return found


@dataclass
class SubgraphFacts:
    """Per-subgraph predicates Apollo keeps in its FederationMetadata."""

    shareable: set[tuple[str, str]] = field(default_factory=set)
    provided: set[tuple[str, str]] = field(default_factory=set)
    used: set[tuple[str, str]] = field(default_factory=set)


def subgraph_facts(sg: Subgraph, used: set[tuple[str, str]]) -> SubgraphFacts:
    facts = SubgraphFacts(used=set(used))
    for typedef in sg.types.values():
        for key in typedef.keys:
            facts.shareable |= collect_field_set(sg, typedef.name, key.fields)
        for f in typedef.fields.values():
            if f.shareable or (sg.fed1 and typedef.kind == "object"):
                facts.shareable.add((typedef.name, f.name))
            if f.provides is not None:
                target = named_type(f.type)
                for pair in collect_field_set(sg, target, f.provides):
                    facts.provided.add(pair)
                    other = sg.types[pair[0]].fields[pair[1]]
                    if other.external:
                        facts.shareable.add(pair)
    # Fields implementing an interface field are "used" (they satisfy the interface).
    for typedef in sg.types.values():
        for interface in typedef.interfaces:
            for name in getattr(sg.types.get(interface), "fields", {}):
                if name in typedef.fields:
                    facts.used.add((typedef.name, name))
    return facts


@dataclass
class MergeContext:
    subgraphs: list[Subgraph]  # sorted by name
    facts: dict[str, SubgraphFacts]
    graphs: list[Graph] = field(default_factory=list)
    errors: list[CompositionError] = field(default_factory=list)
    types: dict[str, MType] = field(default_factory=dict)
    enum_usage: dict[str, str] = field(default_factory=dict)  # name -> Input | Output | Both
    composed: set[str] = field(default_factory=set)  # composed directive names

    def __post_init__(self) -> None:
        names = [sg.name for sg in self.subgraphs]
        self.graphs = [
            Graph(sg.name, enum, sg.url)
            for sg, enum in zip(self.subgraphs, graph_enum_names(names), strict=True)
        ]

    def error(
        self, code: str, message: str, type_: str | None = None, f: str | None = None,
        subgraph: str | None = None,
    ) -> None:  # fmt: skip
        self.errors.append(CompositionError(code, message, subgraph, type_, f))

    def named_subtype(self) -> NamedSubtype:
        def check(sub: str, sup: str) -> bool:
            target = self.types.get(sup)
            source = self.types.get(sub)
            if target is None or source is None:
                return False
            if target.kind == "union":
                return sub in target.members
            if target.kind == "interface":
                return sup in source.interfaces
            return False

        return check

    def record_enum_usage(self, type_name: str, position: str) -> None:
        existing = self.enum_usage.get(type_name)
        self.enum_usage[type_name] = position if existing in (None, position) else "Both"


def merge_description(element: MElement, sources: list[Common]) -> None:
    """Apollo's rule: the only description, else the most common one (first on ties)."""
    descriptions = [s.description for s in sources if s.description is not None]
    if not descriptions:
        return
    counts = Counter(descriptions)
    distinct = list(dict.fromkeys(descriptions))
    non_empty = [d for d in distinct if d != ""]
    if len(distinct) == 1:
        element.description = distinct[0]
    elif len(non_empty) == 1:
        element.description = non_empty[0]
    else:
        best = max(counts[d] if d else -1 for d in distinct)
        element.description = next(d for d in distinct if (counts[d] if d else -1) == best)


def conjunction(
    requirements: list[tuple[tuple[str, ...], ...]],
) -> tuple[tuple[str, ...], ...] | None:
    """AND of requirements that are each an OR of ANDs (how Apollo merges @requiresScopes and
    @policy across subgraphs): every combination of one alternative from each, without
    duplicates or alternatives that a smaller one already implies; sorted (each alternative,
    then the alternatives by size and name) as Apollo prints them. One requirement is kept as
    written."""
    if not requirements:
        return None
    unique = list(dict.fromkeys(requirements))
    if len(unique) == 1:
        return unique[0]
    combined: list[frozenset[str]] = [frozenset()]
    for requirement in unique:
        combined = [c | frozenset(alternative) for c in combined for alternative in requirement]
    distinct = set(combined)
    minimal = [tuple(sorted(c)) for c in distinct if not any(o < c for o in distinct)]
    return tuple(sorted(minimal, key=lambda c: (len(c), c)))


def merge_common(element: MElement, sources: list[Common], composed: set[str]) -> None:
    """Description, @inaccessible, @tag, @deprecated and composed directives."""
    merge_description(element, sources)
    element.inaccessible = any(s.inaccessible for s in sources)
    for source in sources:
        for tag in source.tags:
            if tag not in element.tags:
                element.tags.append(tag)
    costs = [s.cost for s in sources if s.cost is not None]
    element.cost = max(costs) if costs else None  # Apollo merges @cost by its maximum
    element.list_size = next((s.list_size for s in sources if s.list_size is not None), None)
    element.authenticated = any(s.authenticated for s in sources)
    element.scopes = conjunction([s.scopes for s in sources if s.scopes is not None])
    element.policies = conjunction([s.policies for s in sources if s.policies is not None])
    reasons = [s.deprecated for s in sources if s.deprecated is not None]
    if reasons:
        counts = Counter(reasons)
        best = max(counts.values())
        element.deprecated = next(r for r in reasons if counts[r] == best)
    seen: set[str] = set()
    for source in sources:
        for directive in source.directives:
            if directive.name.value not in composed:
                continue
            printed = print_ast(directive)
            if printed not in seen:
                seen.add(printed)
                element.directives.append(directive)
    _dedupe_non_repeatable(element.directives)


def _dedupe_non_repeatable(directives: list[ConstDirectiveNode]) -> None:
    # Composed directives are treated as repeatable (distinct applications kept).
    return None


def merge_default(values: list[ValueNode | None]) -> tuple[ValueNode | None, bool]:
    """Apollo's mergeDefaultValue: (the supergraph default, whether two defaults conflict).

    A default present in only some subgraphs is dropped (a hint in Apollo, not an error).
    """
    dest: ValueNode | None = None
    seen = inconsistent = incompatible = False
    for value in values:
        if dest is None:
            dest = value
            if seen and value is not None:
                inconsistent = True
        elif value is None or print_ast(dest) != print_ast(value):
            inconsistent = True
            if value is not None:
                incompatible = True
        seen = True
    return (dest if not inconsistent or incompatible else None), incompatible
