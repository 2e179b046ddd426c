"""Subgraph SDLs -> supergraph SDL, or the list of composition errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graphql import GraphQLError, print_ast

from router.compose.context import MergeContext, subgraph_facts
from router.compose.errors import CompositionError
from router.compose.inaccessible import validate_inaccessible
from router.compose.merge import merge_all
from router.compose.model import ComposedLink, MergedSupergraph
from router.compose.print_supergraph import print_supergraph
from router.compose.satisfiability import check_satisfiability
from router.compose.subgraph import Subgraph, parse_subgraph
from router.compose.validate_subgraph import validate_subgraph
from router.federation import SupergraphError, api_schema


@dataclass(frozen=True)
class SubgraphSource:
    """One subgraph to compose: its name, routing URL and SDL."""

    name: str
    url: str
    sdl: str


@dataclass(frozen=True)
class CompositionResult:
    supergraph_sdl: str | None
    errors: tuple[CompositionError, ...] = ()

    @property
    def ok(self) -> bool:
        return self.supergraph_sdl is not None and not self.errors


def _composed_directives(ctx: MergeContext, merged: MergedSupergraph) -> None:
    """@composeDirective: keep the directive, its definition and its spec's @link."""
    for sg in ctx.subgraphs:
        for name in sg.compose_directives:
            link = next(
                (lk for lk in sg.links for _, local in lk.imports if local == f"@{name}"), None
            )
            definition = sg.directive_defs.get(name)
            if link is None or definition is None:
                ctx.error(
                    "DIRECTIVE_COMPOSITION_ERROR",
                    f'Directive "@{name}" in subgraph "{sg.name}" cannot be composed because it '
                    "is not a member of a core feature",
                    subgraph=sg.name,
                )
                continue
            if link.url.startswith("https://specs.apollo.dev/"):
                ctx.error(
                    "DIRECTIVE_COMPOSITION_ERROR",
                    f'Composing federation directive "@{name}" in subgraph "{sg.name}" is not '
                    "supported",
                    subgraph=sg.name,
                )
                continue
            ctx.composed.add(name)
            if all(existing.url != link.url for existing in merged.composed_links):
                merged.composed_links.append(ComposedLink(link.url, (f"@{name}",)))
            printed = print_ast(definition)
            if printed not in merged.directive_defs:
                merged.directive_defs.append(printed)


EXECUTABLE_LOCATIONS = (
    "QUERY", "MUTATION", "SUBSCRIPTION", "FIELD", "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD",
    "INLINE_FRAGMENT", "VARIABLE_DEFINITION",
)  # fmt: skip


def _executable_directives(subgraphs: list[Subgraph]) -> list[str]:
    """Executable directives defined in every subgraph stay, on the locations all allow."""
    kept: list[str] = []
    first = subgraphs[0].directive_defs if subgraphs else {}
    for name, definition in first.items():
        definitions = [sg.directive_defs.get(name) for sg in subgraphs]
        if any(d is None for d in definitions):
            continue
        locations = [loc.value for loc in definition.locations if loc.value in EXECUTABLE_LOCATIONS]
        for other in definitions:
            assert other is not None
            allowed = {loc.value for loc in other.locations}
            locations = [loc for loc in locations if loc in allowed]
        if not locations:
            continue
        repeatable = all(d is not None and d.repeatable for d in definitions)
        args = ""
        if definition.arguments:
            args = "(" + ", ".join(print_ast(a) for a in definition.arguments) + ")"
        kept.append(
            f"directive @{name}{args}{' repeatable' if repeatable else ''} on "
            + " | ".join(locations)
        )
    return kept


def compose(sources: Sequence[SubgraphSource]) -> CompositionResult:
    """Compose subgraphs into a supergraph (Federation v2 rules, Apollo's output format)."""
    errors: list[CompositionError] = []
    subgraphs: list[Subgraph] = []
    used: dict[str, set[tuple[str, str]]] = {}
    names = [s.name for s in sources]
    for name in sorted(set(names)):
        if names.count(name) > 1:
            errors.append(CompositionError("INVALID_SUBGRAPH_NAME", f'Duplicate subgraph "{name}"'))
    for source in sorted(sources, key=lambda s: s.name):
        subgraph, parse_errors = parse_subgraph(source.name, source.url, source.sdl)
        errors += parse_errors
        if subgraph is None:
            continue
        subgraph_errors, used_fields = validate_subgraph(subgraph)
        errors += subgraph_errors
        used[subgraph.name] = used_fields
        subgraphs.append(subgraph)
    if errors:
        return CompositionResult(None, tuple(errors))
    if not subgraphs:
        return CompositionResult(None, (CompositionError("NO_QUERIES", "No subgraphs"),))
    ctx = MergeContext(subgraphs, {sg.name: subgraph_facts(sg, used[sg.name]) for sg in subgraphs})
    merged = MergedSupergraph(graphs=ctx.graphs, types=ctx.types)
    _composed_directives(ctx, merged)
    merged.directive_defs += _executable_directives(subgraphs)
    merge_all(ctx)
    if not ctx.errors:
        validate_inaccessible(ctx)
    if not ctx.errors:
        check_satisfiability(ctx)
    if ctx.errors:
        return CompositionResult(None, tuple(ctx.errors))
    merged.join_minor = join_minor(max(sg.fed_version for sg in subgraphs))
    merged.uses_inaccessible = _uses(ctx, "inaccessible")
    merged.uses_tag = _uses(ctx, "tag")
    merged.uses_cost = _uses(ctx, "cost")
    merged.uses_list_size = _uses(ctx, "list_size")
    merged.uses_authenticated = _uses(ctx, "authenticated")
    merged.uses_requires_scopes = _uses(ctx, "scopes")
    merged.uses_policy = _uses(ctx, "policies")
    merged.security_specs = _security_specs(ctx)
    sdl = print_supergraph(merged)
    try:
        api_schema(sdl)
    except (GraphQLError, TypeError, SupergraphError) as exc:
        return CompositionResult(None, (CompositionError("INVALID_GRAPHQL", str(exc)),))
    return CompositionResult(sdl, ())


def join_minor(federation: tuple[int, int]) -> int:
    """Apollo's JOIN_VERSIONS.getMinimumRequiredVersion: join v0.5 needs federation 2.8."""
    if federation >= (2, 8):
        return 5
    return 4 if federation >= (2, 7) else 3


def _uses(ctx: MergeContext, what: str) -> bool:
    return any(_subgraph_uses(sg, what) for sg in ctx.subgraphs)


def _subgraph_uses(sg: Subgraph, what: str) -> bool:
    for t in sg.types.values():
        elements = [t, *t.fields.values(), *t.values.values()]
        elements += [a for f in t.fields.values() for a in f.args.values()]
        for e in elements:
            if (what == "tag" and e.tags) or (what == "inaccessible" and e.inaccessible):
                return True
            if (what == "cost" and e.cost is not None) or (
                what == "list_size" and e.list_size is not None
            ):
                return True
            if what in ("authenticated", "scopes", "policies") and getattr(e, what, None):
                return True
    return False


def _security_specs(ctx: MergeContext) -> list[str]:
    """The authorization specs the supergraph links, in @apollo/composition's order: by the
    first subgraph (in name order) applying each, and within one subgraph authenticated,
    requiresScopes, policy (checked against Apollo with subgraphs applying them in either
    order)."""
    order: list[str] = []
    for sg in ctx.subgraphs:
        for spec, what in (
            ("authenticated", "authenticated"),
            ("requiresScopes", "scopes"),
            ("policy", "policies"),
        ):
            if spec not in order and _subgraph_uses(sg, what):
                order.append(spec)
    return order
