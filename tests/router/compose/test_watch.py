"""Dev loop: compose from running subgraphs (`_service { sdl }`), re-compose on SDL change."""

from __future__ import annotations

import asyncio
from pathlib import Path

from router.compose.config import parse_config
from router.compose.watch import (
    SupergraphWatcher,
    WatchEvent,
    watch_running_subgraphs,
    watch_supergraph,
)
from tests.router.compose import sample_subgraphs
from tests.router.compose.live_subgraph import SwitchableApp, serve


def config_for(users_url: str, tasks_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    body = (
        "subgraphs:\n"
        f"  users:\n    routing_url: {users_url}\n    schema:\n      file: ./missing.graphql\n"
        f"  tasks:\n    routing_url: {tasks_url}\n    schema:\n      file: ./missing.graphql\n"
    )
    return parse_config(body, tmp_path / "supergraph.yaml", {})


def test_recomposes_when_a_running_subgraph_changes(tmp_path: Path) -> None:
    users = SwitchableApp({"v1": sample_subgraphs.users, "v2": sample_subgraphs.users_v2}, "v1")
    tasks = SwitchableApp({"ok": sample_subgraphs.tasks, "broken": sample_subgraphs.broken}, "ok")
    output = tmp_path / "supergraph.graphql"
    with serve(users) as users_url, serve(tasks) as tasks_url:
        watcher = SupergraphWatcher(config_for(users_url, tasks_url, tmp_path), output)
        first = watcher.poll()
        assert first is not None and first.written
        text = output.read_text()
        assert "taskCount: Int! @join__field(graph: TASKS)" in text
        assert "email" not in text
        assert watcher.poll() is None  # nothing changed: no composition, no write

        users.current = "v2"
        second = watcher.poll()
        assert second is not None and second.written
        assert "email: String @join__field(graph: USERS)" in output.read_text()

        tasks.current = "broken"
        third = watcher.poll()
        assert third is not None and not third.written
        # Strawberry prints no @link for a schema without entities: a fed1 subgraph.
        codes = {e.code for e in third.result.errors}
        assert codes == {"INVALID_FIELD_SHARING", "FIELD_TYPE_MISMATCH"}
        assert "email: String" in output.read_text()  # the last good supergraph stays


def test_waits_for_every_subgraph_before_composing(tmp_path: Path) -> None:
    users = SwitchableApp({"v1": sample_subgraphs.users}, "v1")
    output = tmp_path / "supergraph.graphql"
    with serve(users) as users_url:
        dead = "http://127.0.0.1:9/graphql"
        watcher = SupergraphWatcher(config_for(users_url, dead, tmp_path), output)
        assert watcher.poll() is None
        assert "tasks" in watcher.unreachable
        assert not output.exists()


async def test_async_watch_loop_writes_and_stops(tmp_path: Path) -> None:
    users = SwitchableApp({"v1": sample_subgraphs.users}, "v1")
    tasks = SwitchableApp({"ok": sample_subgraphs.tasks}, "ok")
    output = tmp_path / "supergraph.graphql"
    events: list[WatchEvent] = []
    stop = asyncio.Event()

    def on_event(event: WatchEvent) -> None:
        events.append(event)
        stop.set()

    with serve(users) as users_url, serve(tasks) as tasks_url:
        config = config_for(users_url, tasks_url, tmp_path)
        await asyncio.wait_for(
            watch_supergraph(config, output, 0.05, on_event=on_event, stop=stop), 30
        )
    assert [e.written for e in events] == [True]
    assert output.read_text().startswith(
        'schema\n  @link(url: "https://specs.apollo.dev/link/v1.0")'
    )


async def test_supervisor_entry_point_uses_the_running_urls(tmp_path: Path) -> None:
    users = SwitchableApp({"v1": sample_subgraphs.users}, "v1")
    tasks = SwitchableApp({"ok": sample_subgraphs.tasks}, "ok")
    output = tmp_path / "dev" / "supergraph.graphql"
    stop = asyncio.Event()
    with serve(users) as users_url, serve(tasks) as tasks_url:
        await asyncio.wait_for(
            watch_running_subgraphs(
                {"users": users_url, "tasks": tasks_url}, output, stop, 0.05,
                on_event=lambda event: stop.set(),
            ),
            30,
        )  # fmt: skip
    text = output.read_text()
    assert f'USERS @join__graph(name: "users", url: "{users_url}")' in text
    assert f'TASKS @join__graph(name: "tasks", url: "{tasks_url}")' in text
