"""Writing the supergraph file so a hot-reloading router never reads half of it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from router.compose.compose import CompositionResult, compose
from router.compose.config import SupergraphConfig, sources


def write_if_changed(path: Path, text: str) -> bool:
    """Atomically replace `path` with `text` (temp file + rename); False when unchanged."""
    try:
        if path.read_text() == text:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def compose_config(config: SupergraphConfig, from_running: bool = False) -> CompositionResult:
    """Read every subgraph's SDL as the config says, and compose them."""
    return compose(sources(config, from_running))
