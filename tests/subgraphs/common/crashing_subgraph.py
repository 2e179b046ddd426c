"""A subgraph process that is killed (SIGKILL) at the first event it would publish: after the
commit that wrote the event to the outbox, before the bus has it.

    python -m tests.subgraphs.common.crashing_subgraph subgraphs.tasks.app:app PORT
"""

from __future__ import annotations

import os
import signal
import sys

import uvicorn

from subgraphs.common.events import Event, RedisEventBus


async def _killed_before_publishing(self: RedisEventBus, event: Event) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


RedisEventBus.publish_event = _killed_before_publishing  # type: ignore[method-assign]

if __name__ == "__main__":
    uvicorn.run(sys.argv[1], host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
