"""Task statistics: counts, overdue, completion rate and average time to complete."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from subgraphs.tasks.domain import NewProject, NewTask, TaskChanges, TaskPriority, TaskStatus
from subgraphs.tasks.models import Task
from subgraphs.tasks.service import projects, tasks
from subgraphs.tasks.service.stats import ALL, task_stats
from subgraphs.tasks.service.unit import Unit
from tests.subgraphs.tasks.conftest import FrozenClock

ALICE, BOB, CAROL = "alice", "bob", "carol"


async def test_stats_per_project_and_assignee(
    unit_for: Callable[..., Unit], clock: FrozenClock
) -> None:
    p = await projects.create_project(unit_for(ALICE), NewProject("P", member_ids=(BOB,)))
    q = await projects.create_project(unit_for(CAROL), NewProject("Q"))
    made: list[Task] = []
    for title, priority, due, assignee in [
        ("a", TaskPriority.HIGH, date(2026, 3, 1), BOB),  # overdue (open, due yesterday)
        ("b", TaskPriority.HIGH, date(2026, 3, 2), BOB),  # due today: not overdue
        ("c", TaskPriority.LOW, date(2026, 1, 1), ALICE),  # will be done: not overdue
        ("d", TaskPriority.URGENT, None, ALICE),  # will be done
        ("e", TaskPriority.LOW, date(2026, 1, 1), None),  # will be cancelled: not overdue
    ]:
        made.append(
            await tasks.create_task(
                unit_for(ALICE),
                NewTask(p.id, title, priority=priority, due_date=due, assignee_id=assignee),
            )
        )
    await tasks.create_task(unit_for(CAROL), NewTask(q.id, "q1"))
    clock.advance(hours=2)
    await tasks.complete_task(unit_for(ALICE), made[2].id)  # took 2 hours
    clock.advance(hours=4)
    await tasks.complete_task(unit_for(ALICE), made[3].id)  # took 6 hours
    await tasks.update_task(
        unit_for(ALICE), made[4].id, 1, TaskChanges(status=TaskStatus.CANCELLED)
    )
    clock.current = clock.current.replace(hour=9)  # back to 2026-03-02 for "today"

    unit = unit_for(ALICE)
    today = date(2026, 3, 2)
    per_project = await task_stats(
        unit.session, unit.caller, today, group="project", keys=[p.id, q.id]
    )
    stats = per_project[p.id]
    assert stats.total == 5
    assert stats.by_status == {"TODO": 2, "IN_PROGRESS": 0, "DONE": 2, "CANCELLED": 1}
    assert stats.by_priority == {"LOW": 2, "MEDIUM": 0, "HIGH": 2, "URGENT": 1}
    assert (stats.completed, stats.overdue) == (2, 1)
    assert stats.completion_rate == pytest.approx(2 / 4)  # cancelled tasks do not count
    assert stats.average_completion_seconds == pytest.approx(4 * 3600, abs=1)
    # Alice does not see Q: its stats are empty, not leaked.
    assert per_project[q.id].total == 0 and per_project[q.id].average_completion_seconds is None

    per_assignee = await task_stats(
        unit.session, unit.caller, today, group="assignee", keys=[BOB, ALICE, CAROL]
    )
    assert (per_assignee[BOB].total, per_assignee[BOB].overdue) == (2, 1)
    assert per_assignee[BOB].completion_rate == 0.0
    assert per_assignee[ALICE].completion_rate == 1.0
    assert per_assignee[CAROL].total == 0

    overall = (await task_stats(unit.session, unit.caller, today))[ALL]
    assert overall.total == 5
    carol = unit_for(CAROL)
    assert (await task_stats(carol.session, carol.caller, today))[ALL].total == 1
