"""`mosaic plan`: print the query plan of an operation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "print the query plan for a GraphQL operation against a supergraph"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--supergraph", required=True, help="supergraph SDL file")
    parser.add_argument("query_file", help="file with the GraphQL operation")
    parser.add_argument("--operation-name", help="operation to plan when there are several")
    parser.add_argument(
        "--label", action="append", default=[], help="enabled progressive-override label"
    )
    parser.add_argument(
        "--operations", action="store_true", help="also print each fetch's subgraph operation"
    )


def run(args: argparse.Namespace) -> int:
    from graphql import GraphQLError, parse, validate

    from router.planner import FetchNode, OperationError, PlanningError, build_plan, normalize
    from router.planner.plan import PlanNode, SubscriptionNode
    from router.supergraph import SupergraphError, load_supergraph

    try:
        supergraph = load_supergraph(Path(args.supergraph).read_text())
        document = parse(Path(args.query_file).read_text())
        errors = validate(supergraph.api_schema, document)
        if errors:
            print(f"invalid operation: {errors[0].message}", file=sys.stderr)
            return 1
        operation = normalize(supergraph.schema, document, args.operation_name)
        plan = build_plan(supergraph, operation, frozenset(args.label))
    except (OSError, SupergraphError, GraphQLError, OperationError, PlanningError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(plan.pretty())
    if args.operations:

        def walk(node: PlanNode | SubscriptionNode | None) -> None:
            if isinstance(node, SubscriptionNode):
                walk(node.primary)
                walk(node.rest)
            if isinstance(node, FetchNode):
                print(f"{node.service}: {node.operation}")
            for child in getattr(node, "nodes", ()) or ():
                walk(child)
            inner = getattr(node, "node", None)
            if inner is not None:
                walk(inner)

        walk(plan.node)
    return 0
