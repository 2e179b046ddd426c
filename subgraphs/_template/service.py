"""Domain rules (no GraphQL): each write takes the open unit of work of its mutation, checks,
changes rows through `uow.session` and emits its events with `uow.emit` (both commit
together). Raise subgraphs.common.errors.* with a message a person understands."""

from __future__ import annotations

from subgraphs._template import events
from subgraphs._template.models import Thing
from subgraphs.common.auth import Caller
from subgraphs.common.errors import BadUserInput, Unauthenticated
from subgraphs.common.unit_of_work import UnitOfWork

Unit = UnitOfWork[Caller | None]

MAX_NAME = 200


async def create_thing(uow: Unit, name: str) -> Thing:
    if uow.caller is None:
        raise Unauthenticated("Sign in first: this needs an access token")
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise BadUserInput(f"name must be 1 to {MAX_NAME} characters", field="name")
    thing = Thing(name=name, owner_id=uow.caller.user_id)
    uow.session.add(thing)
    await uow.session.flush()  # assigns the id the event carries
    uow.emit(events.THING_CREATED, events.thing_payload(thing), aggregate_id=thing.id)
    return thing
