"""Canned subgraphs for router fixture cases, served over real HTTP.

Each subgraph is its SDL (the composition input) plus canned JSON data, executed by graphql-core:
root fields read `data[<Root>][<field>]` (or `<field>@<json args>` when arguments matter), and
`_entities` finds each representation in `data.entities[<__typename>]` by its key fields. So a
request that asks a subgraph for a field or type condition it does not have fails validation,
exactly as a real subgraph would. Special values: `{"__error": "msg"}` raises a field error;
`{"__echo": true}` answers the JSON of the arguments and directives the subgraph received;
`data.__fail` in {"http500", "garbage", "timeout", "no-entities"} makes the whole subgraph fail.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    TypeDefinitionNode,
    TypeExtensionNode,
    build_ast_schema,
    execute,
    extend_schema,
    get_directive_values,
    parse,
    print_ast,
    validate,
)

PRELUDE = (  # the federation definitions a subgraph SDL may use
    """
scalar _Any
scalar FieldSet
scalar federation__FieldSet
scalar link__Import
scalar federation__ContextFieldValue
enum link__Purpose { SECURITY EXECUTION }
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import])
  repeatable on SCHEMA
directive @key(fields: FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @requires(fields: FieldSet!) on FIELD_DEFINITION
directive @provides(fields: FieldSet!) on FIELD_DEFINITION
directive @external(reason: String) on OBJECT | FIELD_DEFINITION
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
directive @override(from: String!, label: String) on FIELD_DEFINITION
directive @inaccessible on
  FIELD_DEFINITION | OBJECT | INTERFACE | UNION
  | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @interfaceObject on OBJECT
directive @tag(name: String!) repeatable on
  FIELD_DEFINITION | OBJECT | INTERFACE | UNION
  | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @extends on OBJECT | INTERFACE
directive @composeDirective(name: String!) repeatable on SCHEMA
scalar federation__Scope
scalar federation__Policy
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @requiresScopes(scopes: [[federation__Scope!]!]!)
  on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @policy(policies: [[federation__Policy!]!]!)
  on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
"""
)


def _has_resolvable_key(node: Any) -> bool:
    for d in getattr(node, "directives", None) or ():
        if d.name.value != "key":
            continue
        resolvable = next((a for a in d.arguments if a.name.value == "resolvable"), None)
        if resolvable is None or getattr(resolvable.value, "value", True) is not False:
            return True
    return False


def build_subgraph_schema(sdl: str) -> GraphQLSchema:
    schema, extra = _build(PRELUDE + sdl)
    if extra:
        schema, _ = _build(PRELUDE + sdl + "\n" + extra)
    return schema


def _build(text: str) -> tuple[GraphQLSchema, str]:
    document = parse(text)
    definitions = [d for d in document.definitions if not isinstance(d, TypeExtensionNode)]
    extensions = [d for d in document.definitions if isinstance(d, TypeExtensionNode)]
    schema = build_ast_schema(DocumentNode(definitions=tuple(definitions)), assume_valid_sdl=True)
    if extensions:
        schema = extend_schema(
            schema, DocumentNode(definitions=tuple(extensions)), assume_valid_sdl=True
        )
    entities: set[str] = set()
    for node in [*definitions, *extensions]:
        if isinstance(node, TypeDefinitionNode | TypeExtensionNode) and _has_resolvable_key(node):
            t = schema.get_type(node.name.value)
            if t is None:
                continue
            if node.kind in ("interface_type_definition", "interface_type_extension"):
                entities.update(o.name for o in schema.get_possible_types(t))  # type: ignore[arg-type]
            else:
                entities.add(t.name)
    extra = ""
    if entities:
        extra += f"union _Entity = {' | '.join(sorted(entities))}\n"
        field_def = "_entities(representations: [_Any!]!): [_Entity]!"
        if schema.query_type is None:
            extra += f"type Query {{ {field_def} }}\n"
        else:
            extra += f"extend type {schema.query_type.name} {{ {field_def} }}\n"
    if (
        "_entities" in schema.type_map.get("Query", schema.query_type).fields
        if (schema.query_type is not None)
        else False
    ):
        extra = ""
    return schema, extra


def _matches(stored: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict) and isinstance(stored, dict):
        return all(
            k == "__typename" or k not in stored or _matches(stored[k], v)
            for k, v in wanted.items()
        )
    return bool(stored == wanted)


def _resolve(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    if not isinstance(source, dict):
        return None
    if info.field_name == "_entities" and "__subgraph" in source:
        sub: CannedSubgraph = source["__subgraph"]
        # __expect looks at this `_entities` call's own selection (a batched request has one
        # aliased call per fetch)
        return sub.entities(args["representations"], print_ast(info.field_nodes[0]))
    value = source.get(info.field_name)
    if args:
        key = info.field_name + "@" + json.dumps(args, sort_keys=True, separators=(",", ":"))
        if key in source:
            value = source[key]
    if isinstance(value, dict) and "__error" in value:
        raise GraphQLError(str(value["__error"]), extensions=value.get("extensions"))
    if isinstance(value, dict) and value.get("__echo"):
        return _echo(info, args)
    return value


def _echo(info: GraphQLResolveInfo, args: dict[str, Any]) -> str:
    """The values this subgraph received, as coerced by graphql-core (defaults applied)."""
    directives: dict[str, Any] = {}
    for node in info.field_nodes[0].directives or ():
        definition = info.schema.get_directive(node.name.value)
        if definition is not None:
            values = get_directive_values(definition, info.field_nodes[0], info.variable_values)
            directives[node.name.value] = values
    return json.dumps({"args": args, "directives": directives}, sort_keys=True, ensure_ascii=False)


@dataclass
class CannedSubgraph:
    name: str
    schema: GraphQLSchema
    data: dict[str, Any]
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def entities(self, representations: list[Any], query: str) -> list[Any]:
        store = self.data.get("entities", {})
        out: list[Any] = []
        for rep in representations:
            found = None
            for candidate in store.get(rep.get("__typename"), ()):
                keys = candidate.get("__keys") or [
                    k
                    for k in rep
                    if k != "__typename" and k in candidate and not k.startswith("__")
                ]
                if keys and all(k in rep and _matches(candidate[k], rep[k]) for k in keys):
                    found = candidate
                    break
            if found is not None:
                # __expect: {field: {required: value}}, checked when the query selects `field`
                for selected, expect in found.get("__expect", {}).items():
                    if re.search(rf"\b{selected}\b", query) is None:
                        continue
                    for k, v in expect.items():
                        if rep.get(k) != v:
                            raise GraphQLError(f"representation lacks {k}={v!r}: {rep}")
                found = {k: v for k, v in found.items() if not k.startswith("__")} | {
                    "__typename": found.get("__typename", rep["__typename"])
                }
            out.append(found)
        return out

    def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            document = parse(payload.get("query", ""))
        except GraphQLError as error:
            return {"errors": [error.formatted]}
        errors = validate(self.schema, document)
        if errors:
            return {"errors": [e.formatted for e in errors]}
        variables = payload.get("variables") or {}
        root: dict[str, Any] = dict(self.data.get("Query", {}))
        root["__subgraph"] = self
        op_root = {**root, **self.data.get("Mutation", {})}
        result = execute(
            self.schema, document, root_value=op_root, variable_values=variables,
            operation_name=payload.get("operationName"), field_resolver=_resolve,
        )  # fmt: skip
        assert not asyncio.iscoroutine(result)
        out: dict[str, Any] = {"data": result.data}  # type: ignore[union-attr]
        if result.errors:  # type: ignore[union-attr]
            out["errors"] = [e.formatted for e in result.errors]  # type: ignore[union-attr]
        return out


@dataclass
class CannedServer:
    """One aiohttp server for many subgraphs, at /<prefix>/<subgraph>."""

    subgraphs: dict[str, CannedSubgraph] = field(default_factory=dict)
    port: int = 0
    runner: web.AppRunner | None = None

    def add(self, prefix: str, name: str, sdl: str, data: dict[str, Any]) -> CannedSubgraph:
        sub = CannedSubgraph(name, build_subgraph_schema(sdl), data)
        self.subgraphs[f"{prefix}/{name}"] = sub
        return sub

    async def handle(self, request: web.Request) -> web.StreamResponse:
        sub = self.subgraphs.get(request.match_info["path"])
        if sub is None:
            return web.Response(status=404)
        payload = await request.json()
        sub.requests.append(payload)
        sub.headers.append({k.lower(): v for k, v in request.headers.items()})
        fail = sub.data.get("__fail")
        if "__delay" in sub.data and fail != "timeout":
            await asyncio.sleep(float(sub.data["__delay"]))
        if fail == "http500":
            return web.Response(status=500, text="Internal Server Error")
        if fail == "garbage":
            return web.Response(status=200, text="<html>not json", content_type="text/html")
        if fail == "timeout":
            await asyncio.sleep(float(sub.data.get("__delay", 5)))
        result = sub.run(payload)
        if fail == "no-entities" and "_entities" in payload.get("query", ""):
            result = {"data": {}}
        response = web.json_response(result)
        for name, value in sub.data.get("__headers", ()):  # response headers to send back
            response.headers.add(name, value)
        return response

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{path:.+}", self.handle)
        # A client that gives up (a router's timeout) cancels its handler: no hung handler
        # outlives the test and delays the server's shutdown.
        self.runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


SUPERGRAPH_FILE = "supergraph.graphql"


def load_case_subgraphs(case_dir: Path, schemas_root: Path) -> dict[str, str]:
    """Subgraph SDLs of a case: its own subgraphs/ dir, or the shared set named in `schema`."""
    own = case_dir / "subgraphs"
    if own.is_dir():
        folder = own
    else:
        folder = schemas_root / (case_dir / "schema").read_text().strip()
    return {
        p.stem: p.read_text() for p in sorted(folder.glob("*.graphql")) if p.name != SUPERGRAPH_FILE
    }


def case_supergraph(case_dir: Path) -> Path:
    """The case's supergraph: its own, or the one of the shared schema set named in `schema`."""
    shared = case_dir / "schema"
    if not shared.exists():
        return case_dir / SUPERGRAPH_FILE
    return case_dir.parent.parent / "schemas" / shared.read_text().strip() / SUPERGRAPH_FILE
