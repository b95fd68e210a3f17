"""The stream benchmark's machinery, small: real proxy and load-generator processes."""

from __future__ import annotations

from bench.streams import measure_streams, table


def test_a_small_stream_run_delivers_the_change_to_every_stream() -> None:
    run = measure_streams(streams=40, ttl=0.5)

    assert run.streams == 40
    assert len(run.delivery_ms) == 40
    assert all(0 <= ms < 5_000 for ms in run.delivery_ms)
    assert run.rss_streams_kb > run.rss_idle_kb > 0
    assert 1 <= run.api_calls <= run.bound
    assert "40 idle" in table(run)
