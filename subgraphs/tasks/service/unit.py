"""The tasks subgraph's unit of work: common's, acting as a verified caller."""

from __future__ import annotations

from subgraphs.common.auth import Caller
from subgraphs.common.unit_of_work import UnitOfWork

Unit = UnitOfWork[Caller]
