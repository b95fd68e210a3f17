"""The order of the tests for parallel workers (tests/scheduling.py)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.scheduling import slices, spread

# A test is (name, seconds, uses the browser): 0 seconds is a quick test.
Test = tuple[str, float, bool]


def suite(slow: list[float], plain: int, browsing: int) -> list[Test]:
    tests = [(f"slow{i}", s, i % 3 == 0) for i, s in enumerate(slow)]
    tests += [(f"plain{i}", 0.0, False) for i in range(plain)]
    return tests + [(f"browse{i}", 0.0, True) for i in range(browsing)]


def cut(ordered: list[Test], workers: int) -> list[list[Test]]:
    """The slices worksteal hands out first."""
    out, start = [], 0
    for size in slices(len(ordered), workers):
        out.append(ordered[start : start + size])
        start += size
    return out


def test_slices_are_the_sizes_worksteal_hands_out() -> None:
    assert slices(1198, 4) == [299, 299, 300, 300]
    assert slices(3, 4) == [0, 1, 1, 1]


@pytest.mark.parametrize(
    ("slow", "plain", "browsing", "workers"),
    [
        ([36, 26, 24, 22, 15, 14, 12, 10, 9, 7, 6, 6, 5], 800, 350, 4),
        ([30, 5], 3, 2, 4),  # fewer tests than slices can hold
        ([], 10, 10, 3),
        ([8, 8, 8], 0, 0, 4),
    ],
)
def test_each_slice_gets_its_share_and_every_test_runs_once(
    slow: list[float], plain: int, browsing: int, workers: int
) -> None:
    tests = suite(slow, plain, browsing)
    ordered = spread(tests, workers, seconds=lambda t: t[1], uses_browser=lambda t: t[2])
    assert Counter(ordered) == Counter(tests)

    parts = cut(ordered, workers)
    loads = [sum(t[1] for t in part) for part in parts]
    if len(tests) >= 4 * workers:
        # Longest first to the least loaded: no slice carries more than the longest test above
        # the average share.
        assert max(loads) - min(loads) <= max(slow, default=0)
        browsers = [sum(t[2] and t[1] == 0 for t in part) for part in parts]
        assert max(browsers) - min(browsers) <= 1
    for part in parts:
        flags = [t[2] for t in part]
        assert flags == sorted(flags), "a slice's browser tests come last"
