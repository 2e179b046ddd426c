"""Markdown tables for benchmark results, with each figure's ratio between gateways."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class GatewayFigures:
    """One gateway's measured figures in one mode of one benchmark."""

    gateway: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cpu_percent: float  # of one core, over the measured window
    cpu_ms_per_request: float
    peak_rss_mb: float
    subgraph_requests_per_request: float
    requests: int
    failed_checks: int

    @property
    def rps_per_core(self) -> float:
        """Requests one fully busy core would serve at the measured CPU cost per request: the
        figure least disturbed by other load on a shared machine."""
        return 1000.0 / self.cpu_ms_per_request if self.cpu_ms_per_request else 0.0


# (label, attribute, format, higher_is_better)
FIGURES: tuple[tuple[str, str, str, bool], ...] = (
    ("RPS", "rps", "{:.0f}", True),
    ("p50 ms", "p50_ms", "{:.1f}", False),
    ("p95 ms", "p95_ms", "{:.1f}", False),
    ("p99 ms", "p99_ms", "{:.1f}", False),
    ("CPU % of a core", "cpu_percent", "{:.0f}", False),
    ("CPU ms/request", "cpu_ms_per_request", "{:.2f}", False),
    ("RPS per core", "rps_per_core", "{:.0f}", True),
    ("peak RSS MB", "peak_rss_mb", "{:.0f}", False),
    ("subgraph req/request", "subgraph_requests_per_request", "{:.2f}", False),
)


def ratio(a: float, b: float) -> str:
    """a / b as '2.50×', or '–' when b is zero."""
    if b == 0:
        return "–"
    return f"{a / b:.2f}×"


def figures_table(rows: Sequence[GatewayFigures]) -> str:
    header = ["gateway", *(label for label, *_ in FIGURES), "requests", "failed checks"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [row.gateway]
        cells += [fmt.format(getattr(row, attr)) for _, attr, fmt, _ in FIGURES]
        cells += [str(row.requests), str(row.failed_checks)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratios_table(rows: Sequence[GatewayFigures]) -> str:
    """For every pair of gateways A, B: each figure of A divided by the same figure of B."""
    header = ["A / B", *(label for label, *_ in FIGURES)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for a, b in combinations(rows, 2):
        cells = [f"{a.gateway} / {b.gateway}"]
        cells += [ratio(getattr(a, attr), getattr(b, attr)) for _, attr, _, _ in FIGURES]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# The speed targets: (mode, description, figure, peer, factor, Mosaic must be higher).
TARGETS: tuple[tuple[str, str, str, str, float, bool], ...] = (
    ("plain", "RPS ≥ 3× Hive Gateway's", "rps", "hive", 3.0, True),
    ("plain", "RPS ≥ 3× Apollo Gateway's", "rps", "apollo", 3.0, True),
    ("plain", "peak RSS ≤ ¼ of Hive Gateway's", "peak_rss_mb", "hive", 0.25, False),
    ("coalescing", "RPS ≥ Grafbase's", "rps", "grafbase", 1.0, True),
    ("coalescing", "RPS ≥ Hive Gateway's", "rps", "hive", 1.0, True),
    ("coalescing", "peak RSS ≤ ¼ of Hive Gateway's", "peak_rss_mb", "hive", 0.25, False),
)


def _ratio_value(a: float, b: float) -> float:
    return round(a / b, 2) if b else 0.0


def is_mosaic(gateway: str) -> bool:
    """`mosaic` or a `mosaic-wN` configuration (N worker processes)."""
    return gateway == "mosaic" or gateway.startswith("mosaic-w")


def targets_table(mode: str, rows: Sequence[GatewayFigures]) -> str:
    """Each Mosaic configuration against the targets of this mode: the same-run ratio and, for
    throughput, the ratio of RPS per core (what each gateway does with one busy core)."""
    by_name = {row.gateway: row for row in rows}
    lines = [
        "| Mosaic | target | ratio (same run) | ratio (RPS per core) | met |",
        "|---|---|---|---|---|",
    ]
    for mosaic in (row for row in rows if is_mosaic(row.gateway)):
        for target_mode, text, attr, peer, factor, higher in TARGETS:
            other = by_name.get(peer)
            if target_mode != mode or other is None:
                continue
            # Judged at the precision shown (two decimals).
            same = _ratio_value(getattr(mosaic, attr), getattr(other, attr))
            if attr == "rps":
                per_core = _ratio_value(mosaic.rps_per_core, other.rps_per_core)
                verdicts = {
                    (True, True): "yes",
                    (False, True): "per core only",
                    (True, False): "same run only",
                    (False, False): "no",
                }
                met = verdicts[(same >= factor, per_core >= factor)]
                lines.append(
                    f"| {mosaic.gateway} | {text} | {same:.2f}× | {per_core:.2f}× | {met} |"
                )
            else:
                met = "yes" if (same >= factor if higher else same <= factor) else "no"
                lines.append(f"| {mosaic.gateway} | {text} | {same:.2f}× | – | {met} |")
    return "\n".join(lines) if len(lines) > 2 else ""
