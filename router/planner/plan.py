"""The query plan: frozen nodes (Apollo's model) and their pretty printer."""

from __future__ import annotations

from dataclasses import dataclass

from router.planner.operation import Condition


@dataclass(frozen=True)
class InputField:
    """One field of a representation; `key` fields must be present and non-null."""

    name: str  # the name sent in the representation
    key: bool
    children: tuple[InputFragment, ...] | None = None  # for composite fields
    source: str | None = None  # the response key in the merged data when it is not `name`


@dataclass(frozen=True)
class InputFragment:
    """`... on Type { fields }` of a fetch's `requires`; typename_as renames `__typename`."""

    type_condition: str
    fields: tuple[InputField, ...]
    typename_as: str | None = None


@dataclass(frozen=True)
class OutputRewrite:
    """In each object at `path` (response keys from the fetch's data; lists are walked), the
    key `alias` becomes `name` (Apollo's KeyRenamer): undoes an alias the planner gave a field
    that the subgraph could not merge with a sibling."""

    path: tuple[str, ...]
    alias: str
    name: str


@dataclass(frozen=True)
class FetchNode:
    service: str
    operation: str  # the subgraph document, printed compactly
    operation_name: str | None
    operation_kind: str
    variable_usages: tuple[str, ...]
    requires: tuple[InputFragment, ...] | None  # None: a root fetch
    pretty_requires: tuple[str, ...]
    pretty_selection: tuple[str, ...]
    id: int
    selection_text: str = ""  # the compact selection (entity fetch: inside `_entities`)
    variable_defs: tuple[str, ...] = ()  # the client variables it uses, compact
    output_rewrites: tuple[OutputRewrite, ...] = ()


@dataclass(frozen=True)
class FlattenNode:
    path: tuple[str, ...]  # response keys, "@" for each list level
    node: PlanNode


@dataclass(frozen=True)
class SequenceNode:
    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True)
class ParallelNode:
    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True)
class ConditionNode:
    condition: Condition
    node: PlanNode  # runs when the condition holds (include) / does not (skip)


PlanNode = FetchNode | FlattenNode | SequenceNode | ParallelNode | ConditionNode


@dataclass(frozen=True)
class SubscriptionNode:
    """Apollo's Subscription node: subscribe with `primary` on the subgraph that owns the root
    field, then run `rest` (the entity fetches) on every event before it goes to the client."""

    primary: FetchNode
    rest: PlanNode | None


@dataclass(frozen=True)
class QueryPlan:
    node: PlanNode | SubscriptionNode | None
    operation_kind: str

    def pretty(self) -> str:
        lines = ["QueryPlan {"]
        if isinstance(self.node, SubscriptionNode):
            lines.extend(_pretty_subscription(self.node, 1))
        elif self.node is not None:
            lines.extend(_pretty(self.node, 1))
        lines.append("}")
        return "\n".join(lines)


def _pretty_subscription(node: SubscriptionNode, indent: int) -> list[str]:
    pad, inner = "  " * indent, "  " * (indent + 1)
    lines = [f"{pad}Subscription {{", f"{inner}Primary: {{"]
    lines.extend(_pretty(node.primary, indent + 2))
    lines.append(inner + "},")
    if node.rest is not None:
        lines.append(f"{inner}Rest: {{")
        lines.extend(_pretty(node.rest, indent + 2))
        lines.append(inner + "},")
    lines.append(pad + "},")
    return lines


def _pretty(node: PlanNode, indent: int) -> list[str]:
    pad = "  " * indent
    if isinstance(node, FetchNode):
        lines = [f'{pad}Fetch(service: "{node.service}") {{']
        inner = "  " * (indent + 1)
        if node.requires is not None:
            lines.extend(inner + line for line in node.pretty_requires)
            lines[-1] += " =>"
        lines.extend(inner + line for line in node.pretty_selection)
        lines.append(pad + "},")
        return lines
    if isinstance(node, FlattenNode):
        return [
            f'{pad}Flatten(path: "{".".join(node.path)}") {{',
            *_pretty(node.node, indent + 1),
            pad + "},",
        ]
    if isinstance(node, SequenceNode | ParallelNode):
        title = "Sequence" if isinstance(node, SequenceNode) else "Parallel"
        lines = [f"{pad}{title} {{"]
        for child in node.nodes:
            lines.extend(_pretty(child, indent + 1))
        lines.append(pad + "},")
        return lines
    cond = node.condition
    title = "Include" if cond.include else "Skip"
    return [f"{pad}{title}(if: ${cond.variable}) {{", *_pretty(node.node, indent + 1), pad + "},"]
