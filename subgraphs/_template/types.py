"""GraphQL types. An entity's `resolve_reference` only loads through a DataLoader, so N
representations cost one query."""

from __future__ import annotations

from typing import TypeAlias

import strawberry
from strawberry.types import Info

from subgraphs._template.loaders import Loaders
from subgraphs._template.models import Thing as ThingRow
from subgraphs.common.context import Context

TemplateInfo: TypeAlias = Info[Context[Loaders], None]


@strawberry.federation.type(keys=["id"])
class Thing:
    id: strawberry.ID
    name: str
    owner_id: strawberry.ID

    @classmethod
    def from_row(cls, row: ThingRow) -> Thing:
        return cls(id=strawberry.ID(row.id), name=row.name, owner_id=strawberry.ID(row.owner_id))

    @classmethod
    async def resolve_reference(cls, info: TemplateInfo, id: strawberry.ID) -> Thing | None:
        row = await info.context.loaders.thing_by_id.load(str(id))
        return None if row is None else cls.from_row(row)
