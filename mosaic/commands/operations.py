"""`mosaic operations publish FILE`: add trusted documents to the router's manifest.

FILE is a manifest in Apollo's persisted query list format (what
`@apollo/generate-persisted-query-manifest` writes) or a `.graphql` file whose operations become
one document each. Every operation must validate against the supergraph; then they are merged
into the manifest (`--manifest`, default MOSAIC_ROUTER_PERSISTED_DOCUMENTS) in one atomic write,
and a running router re-reads it within its reload interval.

Exit codes: 0 published, 2 a document does not validate or a file cannot be read (nothing is
written then).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
    print_ast,
    validate,
)

from router.persisted.documents import read_manifest, sha256, write_manifest
from router.settings import RouterSettings
from router.supergraph import SupergraphError, load_supergraph

HELP = "publish trusted documents (a manifest or a .graphql file) to the router's manifest"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    publish = actions.add_parser("publish", help="validate and add documents to the manifest")
    publish.add_argument("file", type=Path, help="a persisted query manifest or a .graphql file")
    publish.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="the manifest to write (default: MOSAIC_ROUTER_PERSISTED_DOCUMENTS)",
    )
    publish.add_argument(
        "--supergraph",
        type=Path,
        default=None,
        help="validate against this supergraph (default: MOSAIC_ROUTER_SUPERGRAPH)",
    )


def _operations_of(path: Path) -> list[dict[str, Any]]:
    """(id, name, type, body) entries from a manifest or a .graphql file."""
    if path.suffix == ".json":
        manifest = read_manifest(path)
        return [
            {"id": op_id, "name": manifest.names.get(op_id), "body": body}
            for op_id, body in manifest.operations.items()
        ]
    document = parse(path.read_text())
    fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    entries = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        # Each operation with the fragments it may use, printed as a client would send it.
        body = print_ast(DocumentNode(definitions=(definition, *fragments)))
        name = definition.name.value if definition.name else None
        entries.append({"id": sha256(body), "name": name, "body": body})
    return entries


def _kind(body: str) -> str:
    for definition in parse(body).definitions:
        if isinstance(definition, OperationDefinitionNode):
            return definition.operation.value
    return "query"


def run(args: argparse.Namespace) -> int:
    settings = RouterSettings()
    manifest_path = args.manifest or (
        Path(settings.persisted_documents) if settings.persisted_documents else None
    )
    if manifest_path is None:
        print("error: give --manifest or set MOSAIC_ROUTER_PERSISTED_DOCUMENTS", file=sys.stderr)
        return 2
    supergraph_path = args.supergraph or Path(settings.supergraph)
    try:
        schema = load_supergraph(supergraph_path.read_text()).api_schema
        incoming = _operations_of(args.file)
    except (OSError, ValueError, SupergraphError, GraphQLError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    problems = []
    for entry in incoming:
        errors = validate(schema, parse(entry["body"]))
        if errors:
            label = entry["name"] or entry["id"][:12]
            problems.append(f"{label}: {errors[0].message}")
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print("nothing published", file=sys.stderr)
        return 2
    existing: dict[str, dict[str, Any]] = {}
    if manifest_path.exists():
        try:
            current = read_manifest(manifest_path)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        for op_id, body in current.operations.items():
            existing[op_id] = {"id": op_id, "name": current.names.get(op_id), "body": body}
    added = 0
    for entry in incoming:
        if entry["id"] not in existing:
            added += 1
        existing[entry["id"]] = entry
    operations = [
        {"id": e["id"], "name": e["name"], "type": _kind(e["body"]), "body": e["body"]}
        for e in existing.values()
    ]
    write_manifest(manifest_path, operations)
    print(
        json.dumps({"manifest": str(manifest_path), "added": added, "operations": len(operations)})
    )
    return 0
