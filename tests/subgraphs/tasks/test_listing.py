"""Filters, orderings and keyset cursors of task and project lists, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from subgraphs.common.auth import Caller
from subgraphs.common.errors import BadUserInput
from subgraphs.tasks.domain import (
    PRIORITY_RANK,
    STATUS_RANK,
    Direction,
    NewProject,
    NewTask,
    ProjectFilter,
    ProjectOrder,
    ProjectOrderField,
    ProjectStatus,
    TaskFilter,
    TaskOrder,
    TaskOrderField,
    TaskPriority,
    TaskStatus,
)
from subgraphs.tasks.models import Project, Task
from subgraphs.tasks.service import listing, projects, tasks
from subgraphs.tasks.service.unit import Unit
from tests.subgraphs.tasks.conftest import FrozenClock

ALICE, BOB, CAROL = "alice", "bob", "carol"
TODAY = date(2026, 3, 2)  # the frozen clock's date

# title, status, priority, due date, assignee, description
ROWS: list[tuple[str, TaskStatus, TaskPriority, date | None, str | None, str]] = [
    ("alpha", TaskStatus.TODO, TaskPriority.LOW, date(2026, 3, 1), ALICE, "fix the 100% bug"),
    ("bravo", TaskStatus.IN_PROGRESS, TaskPriority.URGENT, date(2026, 2, 20), BOB, ""),
    ("charlie", TaskStatus.DONE, TaskPriority.HIGH, date(2026, 2, 1), BOB, "Release notes"),
    ("delta", TaskStatus.CANCELLED, TaskPriority.MEDIUM, date(2026, 2, 1), None, ""),
    ("echo", TaskStatus.TODO, TaskPriority.HIGH, None, None, "under_score"),
    ("foxtrot", TaskStatus.TODO, TaskPriority.URGENT, date(2026, 3, 20), ALICE, ""),
    ("golf", TaskStatus.IN_PROGRESS, TaskPriority.LOW, None, BOB, "release train"),
    ("hotel", TaskStatus.TODO, TaskPriority.MEDIUM, date(2026, 3, 2), BOB, ""),
]


@pytest.fixture
async def seeded(
    unit_for: Callable[..., Unit], clock: FrozenClock
) -> tuple[Project, Project, list[Task]]:
    """Project P (Alice, Bob) with ROWS, created an hour apart; project Q (Carol) with one."""
    start = clock.current
    p = await projects.create_project(unit_for(ALICE), NewProject("P", member_ids=(BOB,)))
    q = await projects.create_project(unit_for(CAROL), NewProject("Q"))
    made = []
    for i, (title, status, priority, due, assignee, text) in enumerate(ROWS):
        clock.current = start + timedelta(hours=i - 48)
        made.append(
            await tasks.create_task(
                unit_for(ALICE),
                NewTask(p.id, title, text, priority, status, due, assignee_id=assignee),
            )
        )
    await tasks.create_task(unit_for(CAROL), NewTask(q.id, "carol's"))
    clock.current = start
    return p, q, made


async def all_pages(
    unit: Unit, task_filter: TaskFilter, order: TaskOrder, size: int = 3
) -> list[str]:
    titles: list[str] = []
    after = None
    while True:
        page = await listing.task_page(
            unit.session, unit.caller, task_filter, order, size, after, TODAY
        )
        titles += [t.title for t in page.rows]
        assert len(page.rows) <= size
        if not page.has_next_page:
            return titles
        after = page.cursors[-1]


def expected_order(made: list[Task], order: TaskOrder) -> list[str]:
    desc = order.direction is Direction.DESC

    def key(t: Task) -> Any:
        match order.field:
            case TaskOrderField.CREATED_AT:
                return t.created_at
            case TaskOrderField.UPDATED_AT:
                return t.updated_at
            case TaskOrderField.TITLE:
                return t.title
            case TaskOrderField.PRIORITY:
                return (PRIORITY_RANK[t.priority], t.created_at)
            case TaskOrderField.STATUS:
                return (STATUS_RANK[t.status], t.created_at)
            case TaskOrderField.DUE_DATE:
                return t.due_date
        raise AssertionError(order)

    if order.field is TaskOrderField.DUE_DATE:
        dated = sorted(
            (t for t in made if t.due_date), key=lambda t: (t.due_date, t.id), reverse=desc
        )
        undated = sorted((t for t in made if not t.due_date), key=lambda t: t.id, reverse=desc)
        return [t.title for t in dated + undated]
    return [t.title for t in sorted(made, key=lambda t: (key(t), t.id), reverse=desc)]


async def test_every_ordering_pages_through_everything_once(
    unit_for: Callable[..., Unit], seeded: tuple[Project, Project, list[Task]]
) -> None:
    """All 12 orderings on one seeded database (seeding per ordering would dominate)."""
    for field in TaskOrderField:
        for direction in Direction:
            order = TaskOrder(field, direction)
            got = await all_pages(unit_for(ALICE), TaskFilter(), order)
            assert got == expected_order(seeded[2], order), order


FILTER_CASES: list[tuple[TaskFilter, set[str]]] = [
    (TaskFilter(statuses=(TaskStatus.TODO,)), {"alpha", "echo", "foxtrot", "hotel"}),
    (TaskFilter(statuses=(TaskStatus.DONE, TaskStatus.CANCELLED)), {"charlie", "delta"}),
    (TaskFilter(priorities=(TaskPriority.URGENT,)), {"bravo", "foxtrot"}),
    (TaskFilter(assignee_id=BOB), {"bravo", "charlie", "golf", "hotel"}),
    (TaskFilter(unassigned=True), {"delta", "echo"}),
    (TaskFilter(due_before=date(2026, 3, 2)), {"alpha", "bravo", "charlie", "delta"}),
    # Overdue: due before today and still open; DONE/CANCELLED and due-today are not.
    (TaskFilter(overdue=True), {"alpha", "bravo"}),
    (TaskFilter(overdue=False), {"charlie", "delta", "echo", "foxtrot", "golf", "hotel"}),
    (TaskFilter(text="RELEASE"), {"charlie", "golf"}),
    (TaskFilter(text="100%"), {"alpha"}),
    (TaskFilter(text="e_n"), set()),  # `_` is literal: "Release notes" does not match
    (TaskFilter(text="under_"), {"echo"}),
    (
        TaskFilter(
            statuses=(TaskStatus.TODO,),
            priorities=(TaskPriority.HIGH, TaskPriority.URGENT),
            overdue=False,
        ),
        {"echo", "foxtrot"},
    ),
]


async def test_filters(
    unit_for: Callable[..., Unit], seeded: tuple[Project, Project, list[Task]]
) -> None:
    for task_filter, titles in FILTER_CASES:
        got = await all_pages(unit_for(ALICE), task_filter, TaskOrder())
        assert set(got) == titles and len(got) == len(titles), task_filter


async def test_visibility_follows_membership(
    unit_for: Callable[..., Unit], seeded: tuple[Project, Project, list[Task]]
) -> None:
    p, _q, _ = seeded
    assert await all_pages(unit_for(CAROL), TaskFilter(), TaskOrder()) == ["carol's"]
    assert await all_pages(unit_for(CAROL), TaskFilter(project_id=p.id), TaskOrder()) == []
    assert len(await all_pages(unit_for("root", admin=True), TaskFilter(), TaskOrder())) == 9
    unit = unit_for(BOB)
    page = await listing.project_page(
        unit.session, unit.caller, ProjectFilter(), ProjectOrder(), 10, None
    )
    assert [x.name for x in page.rows] == ["P"]


async def test_cursor_is_stable_when_rows_are_added(
    unit_for: Callable[..., Unit], seeded: tuple[Project, Project, list[Task]], clock: FrozenClock
) -> None:
    p = seeded[0]
    unit = unit_for(ALICE)
    order = TaskOrder(TaskOrderField.CREATED_AT, Direction.DESC)
    first = await listing.task_page(unit.session, unit.caller, TaskFilter(), order, 3, None, TODAY)
    clock.advance(days=1)
    await tasks.create_task(unit_for(ALICE), NewTask(p.id, "newest"))  # lands before page 1
    second = await listing.task_page(
        unit.session, unit.caller, TaskFilter(), order, 3, first.cursors[-1], TODAY
    )
    assert [t.title for t in first.rows] == ["hotel", "golf", "foxtrot"]
    assert [t.title for t in second.rows] == ["echo", "delta", "charlie"]
    assert second.has_previous_page and second.has_next_page


@pytest.mark.parametrize("first", [-1, 101])
async def test_bad_page_size(unit_for: Callable[..., Unit], first: int) -> None:
    unit = unit_for(ALICE)
    with pytest.raises(BadUserInput, match="first"):
        await listing.task_page(
            unit.session, unit.caller, TaskFilter(), TaskOrder(), first, None, TODAY
        )


async def test_bad_cursors(
    unit_for: Callable[..., Unit], seeded: tuple[Project, Project, list[Task]]
) -> None:
    unit = unit_for(ALICE)
    page = await listing.task_page(
        unit.session, unit.caller, TaskFilter(), TaskOrder(), 2, None, TODAY
    )
    other_order = TaskOrder(TaskOrderField.TITLE, Direction.ASC)
    for cursor, message in [
        ("not a cursor!", "malformed"),
        ("WyJ0YXNrOkNSRUFURURfQVQ6REVTQyJd", "malformed"),  # right name, no values
        (page.cursors[-1], "another ordering"),
    ]:
        with pytest.raises(BadUserInput, match=message):
            await listing.task_page(
                unit.session, unit.caller, TaskFilter(), other_order, 2, cursor, TODAY
            )


async def test_zero_first_returns_empty_page(
    unit_for: Callable[..., Unit], seeded: tuple[Project, Project, list[Task]]
) -> None:
    unit = unit_for(ALICE)
    page = await listing.task_page(
        unit.session, unit.caller, TaskFilter(), TaskOrder(), 0, None, TODAY
    )
    assert page.rows == [] and page.cursors == []


async def test_pages_per_partition_match_single_pages(
    unit_for: Callable[..., Unit], seeded: tuple[Project, Project, list[Task]]
) -> None:
    p, q, _ = seeded
    unit = unit_for(ALICE)
    order = TaskOrder(TaskOrderField.PRIORITY, Direction.DESC)
    pages = await listing.task_pages(
        unit.session,
        unit.caller,
        "project",
        [p.id, q.id, "missing"],
        TaskFilter(),
        order,
        3,
        None,
        TODAY,
    )
    single = await listing.task_page(
        unit.session, unit.caller, TaskFilter(project_id=p.id), order, 3, None, TODAY
    )
    assert [t.id for t in pages[p.id].rows] == [t.id for t in single.rows]
    assert pages[p.id].cursors == single.cursors and pages[p.id].has_next_page
    assert pages[q.id].rows == []  # Alice is not in Q
    assert pages["missing"].rows == []
    # Continue Bob's assigned tasks after the first page, per assignee.
    by_assignee = await listing.task_pages(
        unit.session, unit.caller, "assignee", [BOB], TaskFilter(), order, 2, None, TODAY
    )
    rest = await listing.task_pages(
        unit.session,
        unit.caller,
        "assignee",
        [BOB],
        TaskFilter(),
        order,
        2,
        by_assignee[BOB].cursors[-1],
        TODAY,
    )
    titles = [t.title for t in by_assignee[BOB].rows + rest[BOB].rows]
    assert titles == ["bravo", "charlie", "hotel", "golf"]
    assert not rest[BOB].has_next_page


async def test_project_filters_and_orders(
    unit_for: Callable[..., Unit], clock: FrozenClock
) -> None:
    made = []
    for name in ["beta", "alpha", "gamma"]:
        clock.advance(minutes=1)
        made.append(
            await projects.create_project(unit_for(ALICE), NewProject(name, member_ids=(BOB,)))
        )
    await projects.archive_project(unit_for(ALICE), made[2].id)
    clock.advance(minutes=1)
    await projects.create_project(unit_for(BOB), NewProject("bob's own"))
    unit = unit_for(BOB)
    caller: Caller = unit.caller

    async def names_of(f: ProjectFilter, o: ProjectOrder, size: int = 2) -> list[str]:
        found, after = [], None
        while True:
            page = await listing.project_page(unit.session, caller, f, o, size, after)
            found += [x.name for x in page.rows]
            if not page.has_next_page:
                return found
            after = page.cursors[-1]

    by_name = ProjectOrder(ProjectOrderField.NAME, Direction.ASC)
    assert await names_of(ProjectFilter(), by_name) == ["alpha", "beta", "bob's own", "gamma"]
    assert await names_of(ProjectFilter(statuses=(ProjectStatus.ARCHIVED,)), by_name) == ["gamma"]
    assert await names_of(ProjectFilter(owner_id=ALICE), by_name) == ["alpha", "beta", "gamma"]
    assert await names_of(ProjectFilter(text="A"), by_name) == ["alpha", "beta", "gamma"]
    newest_first = ProjectOrder(ProjectOrderField.CREATED_AT, Direction.DESC)
    assert await names_of(ProjectFilter(), newest_first, 1) == [
        "bob's own",
        "gamma",
        "alpha",
        "beta",
    ]
