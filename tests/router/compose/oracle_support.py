"""Fixture sets and the @apollo/composition oracle (one node process for all sets)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectFieldNode,
    ObjectTypeDefinitionNode,
    ObjectValueNode,
    TypeNode,
    ValueNode,
    build_ast_schema,
    lexicographic_sort_schema,
    parse,
    print_schema,
)

from router.compose import SubgraphSource, compose
from router.compose.join_metadata import join_metadata
from router.federation import print_api_schema

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
ROUTER_SCHEMAS = HERE.parent / "schemas"
ORACLE = HERE / "oracle.mjs"
PEERS = HERE.parents[2] / "tests" / "peers" / "node_modules" / "@apollo" / "composition"


def load_fixture(path: Path) -> list[SubgraphSource]:
    """A fixture file holds subgraphs, each after a `# subgraph: NAME` line."""
    sources: list[SubgraphSource] = []
    name, lines = None, []
    for line in [*path.read_text().splitlines(), "# subgraph: <end>"]:
        if line.startswith("# subgraph: "):
            if name is not None:
                sources.append(
                    SubgraphSource(name, f"http://{name}.test/graphql", "\n".join(lines))
                )
            name, lines = line.removeprefix("# subgraph: ").strip(), []
        else:
            lines.append(line)
    return sources


def fixture_sets() -> dict[str, list[SubgraphSource]]:
    """Our fixture files, plus the router's shared schema sets (tests/router/schemas/*/)."""
    sets = {p.stem: load_fixture(p) for p in sorted(FIXTURES.glob("*.graphql"))}
    for folder in sorted(p for p in ROUTER_SCHEMAS.glob("*") if p.is_dir()):
        sets[f"ok_router_schema_{folder.name}"] = [
            SubgraphSource(p.stem, f"http://subgraphs/{p.stem}", p.read_text())
            for p in sorted(folder.glob("*.graphql"))
            if p.name != "supergraph.graphql"  # the set's composed supergraph, not a subgraph
        ]
    return sets


def run_oracle(cases: list[dict[str, Any]]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not PEERS.exists():
        raise RuntimeError("node and tests/peers are needed: `make peers`")
    done = subprocess.run(
        [node, str(ORACLE)], input=json.dumps(cases), capture_output=True, text=True,
        check=True, timeout=240,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def canonical_api(sdl: str) -> str:
    """API schema printed after sorting types, fields and values by name.

    graphql-js prints an input-object default with the omitted fields' own defaults filled in
    (`{depth: 2}` -> `{depth: 2, mode: "fast"}`), graphql-core 3.3 prints the literal; both
    sides are filled in the same way here so the comparison is about the schema, not the printer.
    """
    document = parse(sdl)
    inputs = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, InputObjectTypeDefinitionNode)
    }

    def fill(value: ValueNode, type_node: TypeNode) -> ValueNode:
        while isinstance(type_node, NonNullTypeNode):
            type_node = type_node.type
        if isinstance(type_node, ListTypeNode) and isinstance(value, ListValueNode):
            return ListValueNode(values=tuple(fill(v, type_node.type) for v in value.values))
        if not isinstance(type_node, NamedTypeNode) or not isinstance(value, ObjectValueNode):
            return value
        target = inputs.get(type_node.name.value)
        if target is None:
            return value
        given = {f.name.value: f for f in value.fields}
        fields = []
        for definition in target.fields or ():
            name = definition.name.value
            if name in given:
                fields.append(
                    ObjectFieldNode(
                        name=given[name].name, value=fill(given[name].value, definition.type)
                    )
                )
            elif definition.default_value is not None:
                fields.append(
                    ObjectFieldNode(
                        name=definition.name, value=fill(definition.default_value, definition.type)
                    )
                )
        return ObjectValueNode(fields=tuple(fields))

    def visit_value(node: Any) -> Any:
        if node.default_value is None:
            return node
        return node.__class__(
            **{
                **{k: getattr(node, k) for k in node.keys if k != "loc"},
                "default_value": fill(node.default_value, node.type),
            }
        )

    definitions = []
    for d in document.definitions:
        attrs = {k: getattr(d, k) for k in d.keys if k != "loc"}
        if isinstance(d, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            attrs["fields"] = tuple(
                f.__class__(
                    **{
                        **{k: getattr(f, k) for k in f.keys if k != "loc"},
                        "arguments": tuple(visit_value(a) for a in f.arguments or ()),
                    }
                )
                for f in d.fields or ()
            )
            d = d.__class__(**attrs)
        elif isinstance(d, InputObjectTypeDefinitionNode):
            attrs["fields"] = tuple(visit_value(f) for f in d.fields or ())
            d = d.__class__(**attrs)
        definitions.append(d)
    schema = build_ast_schema(DocumentNode(definitions=tuple(definitions)))
    return print_schema(lexicographic_sort_schema(schema))


@dataclass(frozen=True)
class Comparison:
    name: str
    mosaic_ok: bool
    apollo_ok: bool
    mosaic_codes: tuple[str, ...]
    apollo_codes: tuple[str, ...]
    api_equal: bool | None = None
    join_equal: bool | None = None
    apollo_loads_mosaic: bool | None = None
    apollo_api_of_mosaic_equal: bool | None = None
    supergraph_identical: bool | None = None
    detail: str = ""
    mosaic_supergraph: str | None = None
    apollo_supergraph: str | None = None

    @property
    def agree(self) -> bool:
        if self.mosaic_ok != self.apollo_ok:
            return False
        if not self.mosaic_ok:
            return set(self.mosaic_codes) == set(self.apollo_codes)
        return bool(
            self.api_equal and self.join_equal and self.apollo_loads_mosaic
            and self.apollo_api_of_mosaic_equal
        )  # fmt: skip


def compare_all(sets: dict[str, list[SubgraphSource]]) -> dict[str, Comparison]:
    mosaic = {name: compose(sources) for name, sources in sets.items()}
    cases = []
    for name, sources in sets.items():
        case: dict[str, Any] = {"name": name, "subgraphs": [asdict(s) for s in sources]}
        if mosaic[name].supergraph_sdl:
            case["supergraph"] = mosaic[name].supergraph_sdl
        cases.append(case)
    apollo = run_oracle(cases)
    out: dict[str, Comparison] = {}
    for name in sets:
        ours, theirs = mosaic[name], apollo[name]
        codes = tuple(sorted({e.code for e in ours.errors}))
        their_codes = tuple(sorted({e["code"] for e in theirs.get("errors") or ()}))
        fields: dict[str, Any] = {}
        detail = ""
        if ours.ok and theirs["ok"]:
            assert ours.supergraph_sdl is not None
            mine = canonical_api(print_api_schema(ours.supergraph_sdl))
            fields["api_equal"] = mine == canonical_api(theirs["api"])
            # Byte for byte, but for the final newline Mosaic's files end with.
            fields["supergraph_identical"] = ours.supergraph_sdl == theirs["supergraph"] + "\n"
            a, b = join_metadata(ours.supergraph_sdl), join_metadata(theirs["supergraph"])
            fields["join_equal"] = a == b
            load = theirs.get("load", {})
            fields["apollo_loads_mosaic"] = bool(load.get("ok"))
            fields["apollo_api_of_mosaic_equal"] = bool(load.get("ok")) and (
                canonical_api(load["api"]) == mine
            )
            if not fields["join_equal"]:
                detail += _join_diff(asdict(a), asdict(b))
            if not fields["api_equal"]:
                detail += f"\nmosaic api:\n{mine}\napollo api:\n{canonical_api(theirs['api'])}"
            if not load.get("ok"):
                detail += f"\napollo refuses mosaic's supergraph: {load.get('error')}"
        elif not theirs["ok"]:
            detail = "\n".join(e["message"] for e in theirs.get("errors") or ())
        if ours.errors:
            detail += "\nmosaic: " + "\n".join(str(e) for e in ours.errors)
        out[name] = Comparison(
            name, ours.ok, bool(theirs["ok"]), codes, their_codes, detail=detail,
            mosaic_supergraph=ours.supergraph_sdl, apollo_supergraph=theirs.get("supergraph"),
            **fields,
        )  # fmt: skip
    return out


def _join_diff(a: dict[str, Any], b: dict[str, Any]) -> str:
    lines = []
    for section in a:
        left, right = a[section], b[section]
        if left == right:
            continue
        if isinstance(left, dict):
            for key in sorted(set(left) | set(right)):
                if left.get(key) != right.get(key):
                    lines.append(
                        f"{section}[{key}]: mosaic={left.get(key)} apollo={right.get(key)}"
                    )
        else:
            lines.append(f"{section}: mosaic={left} apollo={right}")
    return "\n".join(lines)


if __name__ == "__main__":
    results = compare_all(fixture_sets())
    bad = [c for c in results.values() if not c.agree]
    for c in bad:
        print(
            f"== {c.name}: mosaic ok={c.mosaic_ok} {c.mosaic_codes} apollo ok={c.apollo_ok} "
            f"{c.apollo_codes} api={c.api_equal} join={c.join_equal} "
            f"load={c.apollo_loads_mosaic} loadapi={c.apollo_api_of_mosaic_equal}"
        )
        print(c.detail)
    print(f"{len(results) - len(bad)}/{len(results)} agree")
