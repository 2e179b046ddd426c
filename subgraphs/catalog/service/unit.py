"""The unit of work of catalog's writes: common's `UnitOfWork` acting as the caller (`Actor`):
`async with UnitOfWork(session, actor, events) as uow:` then `uow.emit(type, payload)`."""

from __future__ import annotations

from subgraphs.catalog.domain import Actor
from subgraphs.common.unit_of_work import UnitOfWork

Unit = UnitOfWork[Actor]
