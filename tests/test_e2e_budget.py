"""The one rate budget, end to end and in real time: every request of any kind, API calls and
file downloads together, counted by the fake server's own request log.

These wait for the service's budget for real (a minute or two each): ``make test-slow``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import expected_digests, make_library

from slooh_async.fake_server import FakeConfig, FakeSlooh

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]


def busiest_window(times: list[float], width: float = 60.0) -> int:
    """The most requests in any ``width``-second window."""
    ordered, best, first = sorted(times), 0, 0
    for last, when in enumerate(ordered):
        while when - ordered[first] >= width:
            first += 1
        best = max(best, last - first + 1)
    return best


@pytest.mark.parametrize(("rate", "pictures"), [(30, 50), (120, 300)])
def test_every_request_fits_the_budget_and_the_run_ends_near_the_ideal_time(
    rate: int, pictures: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rate_limit N: no 60 s window holds more than N requests of any kind, and the run of R
    requests ends within 10% of the least time the budget allows ((R - 1) // N minutes)."""
    config = FakeConfig(pictures=pictures, fits=False, file_size=4096, seed=7)
    with FakeSlooh(config).running() as server:
        lib = make_library(tmp_path, monkeypatch, server, rate_limit=rate)
        code, summary = lib.run_json("download")
        times = [record.started for record in server.request_log]
    assert code == 0 and summary["downloaded"] == pictures
    assert lib.digests() == expected_digests(server, fits=False)
    assert busiest_window(times) <= rate
    ideal = (len(times) - 1) // rate * 60.0
    assert ideal > 0  # the run is bound by the budget, not by the network
    assert summary["elapsed_seconds"] <= 1.10 * ideal, (summary["elapsed_seconds"], ideal)
