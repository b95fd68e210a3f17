"""The benchmark's wrk parser, on wrk's real output format."""

from __future__ import annotations

import pytest

from bench.load import parse_wrk

WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:40000/v1/now-playing
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.12ms    1.01ms  40.00ms   90.00%
    Req/Sec    15.50k     1.20k   17.00k    80.00%
  Latency Distribution
     50%  850.00us
     75%    4.50ms
     90%    5.00ms
     99%    1.20s
  77123 requests in 5.00s, 70.00MB read
Requests/sec:  15424.60
Transfer/sec:     14.00MB
"""


def test_parse_wrk() -> None:
    load = parse_wrk(WRK_OUTPUT)
    assert load.requests_per_s == 15424.60
    assert load.p50_ms == pytest.approx(0.85)
    assert load.p99_ms == pytest.approx(1200.0)
    assert load.requests == 77123


def test_parse_wrk_refuses_output_without_figures() -> None:
    with pytest.raises(ValueError, match="no figures"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")
