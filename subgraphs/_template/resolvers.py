"""Thin Query and Mutation fields: read arguments, open the unit of work, call the service."""

from __future__ import annotations

import strawberry

from subgraphs._template import service
from subgraphs._template.types import TemplateInfo, Thing
from subgraphs.common.unit_of_work import unit_of_work


@strawberry.type
class Query:
    @strawberry.field(description="A thing by id; null when there is none.")
    async def thing(self, info: TemplateInfo, id: strawberry.ID) -> Thing | None:
        row = await info.context.loaders.thing_by_id.load(str(id))
        return None if row is None else Thing.from_row(row)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a thing owned by the caller (emits thing.created).")
    async def create_thing(self, info: TemplateInfo, name: str) -> Thing:
        caller = await info.context.caller()
        async with unit_of_work(info.context.db, caller, info.context.events) as uow:
            return Thing.from_row(await service.create_thing(uow, name))
