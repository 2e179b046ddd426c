"""Interpret a QueryPlan: send fetches, merge results at paths, collect client-path errors."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from router.executor.client import SubgraphClients, SubgraphFailure
from router.executor.merge import (
    Path,
    PathCache,
    Representations,
    apply_rewrites,
    deep_merge,
    objects_at,
    paths_of,
)
from router.executor.upload import MultipartBody, Uploads, multipart_body
from router.planner.plan import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    SequenceNode,
    SubscriptionNode,
)

log = logging.getLogger("mosaic.router")


@dataclass
class Execution:
    """The mutable state of one request's execution."""

    variables: Mapping[str, Any]
    headers: tuple[tuple[str, str], ...]
    representations: Mapping[int, Representations]  # id(fetch node) -> compiled requires
    request_id: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    paths: PathCache = field(default_factory=PathCache)  # kept in step with `data`
    response_headers: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    fetches: int = 0  # subgraph responses received
    uploads: Uploads | None = None  # the client's files (a multipart request)


class Executor:
    def __init__(
        self,
        clients: SubgraphClients,
        possible: Mapping[str, frozenset[str]],
        abstract: frozenset[str],
        include_subgraph_errors: bool = True,
        batch: bool = True,
    ) -> None:
        self.batch = batch
        self.clients = clients
        self.possible = possible
        self.abstract = abstract
        self.include_subgraph_errors = include_subgraph_errors

    async def execute(
        self,
        plan: QueryPlan,
        variables: Mapping[str, Any],
        headers: tuple[tuple[str, str], ...],
        representations: Mapping[int, Representations],
        request_id: str = "",
        uploads: Uploads | None = None,
    ) -> Execution:
        """Run `plan`; `representations` are its entity fetches' compiled requires, made once
        with the plan (router/pipeline/plan.py); `uploads`: the files some root fetches carry."""
        state = Execution(variables, headers, representations, request_id, uploads=uploads)
        if isinstance(plan.node, SubscriptionNode):
            raise TypeError("a subscription plan runs per event (Executor.execute_event)")
        if plan.node is not None:
            await self.run(plan.node, state, ())
        return state

    async def execute_event(
        self,
        node: SubscriptionNode,
        event: Mapping[str, Any],
        variables: Mapping[str, Any],
        headers: tuple[tuple[str, str], ...],
        representations: Mapping[int, Representations],
        request_id: str = "",
    ) -> Execution:
        """One subscription event (a `next` payload of the primary fetch) merged with the rest of
        the plan: the entity fetches run on it as on a root fetch's answer."""
        state = Execution(variables, headers, representations, request_id)
        self._root_response(node.primary, state, event)
        if node.rest is not None and state.data:
            await self.run(node.rest, state, ())
        return state

    async def run(self, node: PlanNode, state: Execution, path: tuple[str, ...]) -> None:
        if isinstance(node, FetchNode):
            if node.requires is None:
                await self.root_fetch(node, state)
            else:
                await self.entity_fetch(node, state, path)
        elif isinstance(node, FlattenNode):
            await self.run(node.node, state, node.path)
        elif isinstance(node, SequenceNode):
            for child in node.nodes:
                await self.run(child, state, path)
        elif isinstance(node, ParallelNode):
            await self.run_parallel(node, state, path)
        elif isinstance(node, ConditionNode):
            value = bool(state.variables.get(node.condition.variable))
            if value == node.condition.include:
                await self.run(node.node, state, path)

    def _body(self, node: FetchNode, state: Execution, extra: dict[str, Any] | None) -> bytes:
        variables = {k: state.variables[k] for k in node.variable_usages if k in state.variables}
        if extra:
            variables.update(extra)
        payload: dict[str, Any] = {"query": node.operation, "variables": variables}
        if node.operation_name:
            payload["operationName"] = node.operation_name
        return orjson.dumps(payload)

    @staticmethod
    def _upload_body(node: FetchNode, state: Execution, uploads: Uploads) -> MultipartBody:
        variables = {k: state.variables[k] for k in node.variable_usages if k in state.variables}
        payload: dict[str, Any] = {"query": node.operation, "variables": variables}
        if node.operation_name:
            payload["operationName"] = node.operation_name
        return multipart_body(payload, uploads, uploads.variables)

    async def _send(
        self, node: FetchNode, state: Execution, body: bytes | MultipartBody
    ) -> dict[str, Any] | None:
        try:
            idempotent = node.operation_kind == "query"
            if isinstance(body, bytes):
                payload, headers = await self.clients.fetch(
                    node.service, body, state.headers, idempotent, state.request_id
                )
            else:
                payload, headers = await self.clients.upload(
                    node.service, body, state.headers, idempotent, state.request_id
                )
        except SubgraphFailure as failure:
            state.errors.append(
                {
                    "message": failure.message,
                    "extensions": {"code": failure.code, "service": node.service},
                }
            )
            return None
        state.fetches += 1
        if headers:
            state.response_headers.extend((node.service, name, value) for name, value in headers)
        return payload

    async def root_fetch(self, node: FetchNode, state: Execution) -> None:
        uploads = state.uploads
        body: bytes | MultipartBody
        if uploads is not None and not uploads.variables.isdisjoint(node.variable_usages):
            body = self._upload_body(node, state, uploads)
        else:
            body = self._body(node, state, None)
        response = await self._send(node, state, body)
        if response is not None:
            self._root_response(node, state, response)

    def _root_response(
        self, node: FetchNode, state: Execution, response: Mapping[str, Any]
    ) -> None:
        data = response.get("data")
        for error in response.get("errors") or ():
            self._add_error(state, node, error, ((),), None)
        if isinstance(data, dict):
            if node.output_rewrites:
                apply_rewrites(data, node.output_rewrites, self.abstract)
            state.paths.clear()
            deep_merge(state.data, data, self.abstract)

    def _collect(
        self, node: FetchNode, state: Execution, path: tuple[str, ...]
    ) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
        """Deduplicated representations at `path` and, per representation, its objects."""
        compiled = state.representations[id(node)]
        return compiled.collect(objects_at(state.data, path, state.paths))

    async def entity_fetch(self, node: FetchNode, state: Execution, path: tuple[str, ...]) -> None:
        reps, targets = self._collect(node, state, path)
        if not reps:
            return
        body = self._body(node, state, {"representations": reps})
        response = await self._send(node, state, body)
        if response is None:
            return
        data = response.get("data")
        entities = data.get("_entities") if isinstance(data, dict) else None
        errors = [e for e in response.get("errors") or () if isinstance(e, dict)]
        self._apply(node, state, path, entities, targets, errors, "_entities")

    def _apply(
        self,
        node: FetchNode,
        state: Execution,
        path: tuple[str, ...],
        entities: Any,
        targets: list[list[dict[str, Any]]],
        errors: list[dict[str, Any]],
        field: str,
    ) -> None:
        if errors:
            located = paths_of(state.data, path)
            paths = [[located.get(id(obj), ()) for obj in objs] for objs in targets]
            for error in errors:
                self._add_error(state, node, error, None, paths, field)
        if not isinstance(entities, list):
            if not errors:
                state.errors.append(
                    {
                        "message": f"Subgraph '{node.service}' returned no _entities.",
                        "extensions": {"code": "INVALID_GRAPHQL", "service": node.service},
                    }
                )
            return
        if node.output_rewrites:
            apply_rewrites(entities, node.output_rewrites, self.abstract)
        added: set[str] = set()  # the keys of entities that only added fields
        deep = False  # whether some merge changed existing fields (or lists)
        for i, entity in enumerate(entities[: len(targets)]):
            if not isinstance(entity, dict):
                continue
            for obj in targets[i]:
                if obj.keys().isdisjoint(entity):
                    obj.update(entity)
                else:
                    deep = True
                    deep_merge(obj, entity, self.abstract)
            added.update(entity)
        if deep:
            state.paths.clear()
        else:  # a path through none of the added keys still finds what it found
            state.paths.forget(added)

    async def run_parallel(
        self, node: ParallelNode, state: Execution, path: tuple[str, ...]
    ) -> None:
        """Run children concurrently; entity fetches to one subgraph share one request."""
        if not self.batch:
            await asyncio.gather(*(self.run(child, state, path) for child in node.nodes))
            return
        by_service: dict[str, list[FlattenNode]] = {}
        others: list[PlanNode] = []
        for child in node.nodes:
            while isinstance(child, ConditionNode):  # evaluated now: a skipped fetch is no fetch
                if bool(state.variables.get(child.condition.variable)) != child.condition.include:
                    break
                child = child.node
            else:
                if (
                    isinstance(child, FlattenNode)
                    and isinstance(child.node, FetchNode)
                    and child.node.requires is not None
                ):
                    by_service.setdefault(child.node.service, []).append(child)
                else:
                    others.append(child)
        tasks = [self.run(child, state, path) for child in others]
        for flattens in by_service.values():
            if len(flattens) == 1:
                tasks.append(self.run(flattens[0], state, path))
            else:
                tasks.append(self.batched_entity_fetch(flattens, state))
        if len(tasks) == 1:
            await tasks[0]
        else:
            await asyncio.gather(*tasks)

    async def batched_entity_fetch(self, flattens: list[FlattenNode], state: Execution) -> None:
        """Several entity fetches to one subgraph as one request: `_N: _entities(...)` each."""
        parts: list[tuple[int, FlattenNode, list[list[dict[str, Any]]]]] = []
        variables: dict[str, Any] = {}
        for n, flatten in enumerate(flattens):
            fetch = flatten.node
            assert isinstance(fetch, FetchNode)
            reps, targets = self._collect(fetch, state, flatten.path)
            if not reps:
                continue
            parts.append((n, flatten, targets))
            variables[f"representations{n}"] = reps
        if not parts:
            return
        if len(parts) == 1:
            n, flatten, _ = parts[0]
            await self.run(flatten, state, flatten.path)
            return
        first = parts[0][1].node
        assert isinstance(first, FetchNode)
        fetches = [(n, f.node) for n, f, _ in parts if isinstance(f.node, FetchNode)]
        query, used = batched_operation(fetches)
        for name in used:
            if name in state.variables:
                variables[name] = state.variables[name]
        body = orjson.dumps({"query": query, "variables": variables})
        response = await self._send(first, state, body)
        if response is None:
            return
        data = response.get("data")
        all_errors = [e for e in response.get("errors") or () if isinstance(e, dict)]
        for n, flatten, targets in parts:
            fetch = flatten.node
            assert isinstance(fetch, FetchNode)
            alias = f"_{n}"
            entities = data.get(alias) if isinstance(data, dict) else None
            errors = [e for e in all_errors if _error_field(e) in (alias, None)]
            if n != parts[0][0]:
                errors = [e for e in errors if _error_field(e) == alias]
            self._apply(fetch, state, flatten.path, entities, targets, errors, alias)

    def _add_error(
        self,
        state: Execution,
        node: FetchNode,
        error: Any,
        prefixes: tuple[Path, ...] | None,
        targets: list[list[Path]] | None,
        field: str = "_entities",
    ) -> None:
        if not isinstance(error, dict):
            error = {"message": str(error)}
        message = error.get("message")
        extensions = error.get("extensions")
        ext = dict(extensions) if isinstance(extensions, dict) else {}
        if not self.include_subgraph_errors:
            # Masked: only the code reaches the client, the rest goes to the log under an id.
            error_id = os.urandom(8).hex()
            log.warning(
                "subgraph %s error (error id %s): %s %s", node.service, error_id, message, ext
            )
            message = "Subgraph errors redacted"
            code = ext.get("code")
            ext = {"errorId": error_id}
            if isinstance(code, str):
                ext["code"] = code
        out: dict[str, Any] = {"message": message if isinstance(message, str) else "Subgraph error"}
        ext.setdefault("service", node.service)
        sub_path = error.get("path")
        paths: list[list[Any]] = []
        if isinstance(sub_path, list) and sub_path:
            if targets is not None:
                if sub_path[0] == field and len(sub_path) > 1 and isinstance(sub_path[1], int):
                    i = sub_path[1]
                    if 0 <= i < len(targets):
                        paths = [[*at, *sub_path[2:]] for at in targets[i]]
            else:
                paths = [list(sub_path)]
        if paths:
            for p in paths:
                state.errors.append({**out, "path": p, "extensions": ext})
        else:
            state.errors.append({**out, "extensions": ext})


def _error_field(error: dict[str, Any]) -> str | None:
    path = error.get("path")
    return path[0] if isinstance(path, list) and path and isinstance(path[0], str) else None


def batched_operation(fetches: list[tuple[int, FetchNode]]) -> tuple[str, list[str]]:
    """One operation for several entity fetches to one subgraph (`_N: _entities(...)` each,
    with `$representationsN`), and the client variables it uses. Every variable a selection uses
    is defined, also one the client omitted (a subgraph rejects an undefined variable)."""
    definitions: list[str] = []
    used: list[str] = []
    selections: list[str] = []
    for n, fetch in fetches:
        definitions.append(f"$representations{n}:[_Any!]!")
        selections.append(
            f"_{n}:_entities(representations:$representations{n}){fetch.selection_text}"
        )
        for name, text in zip(fetch.variable_usages, fetch.variable_defs, strict=False):
            if name not in used:
                used.append(name)
                definitions.append(text)
    return f"query({','.join(definitions)}){{{' '.join(selections)}}}", used
