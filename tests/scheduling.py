"""The order the tests run in, so that parallel workers (`make test`) end together.

pytest-xdist's `--dist worksteal` hands worker k the k-th of n contiguous slices of the collected
tests (slice k holds `left // (n - k)` of the `left` tests not handed out yet); an idle worker then
takes the second half of the longest queue. So the order decides how the run starts:
- each slice gets its share of the slow tests, the longest first to the least loaded slice, and
  an even share of the quick ones;
- within a slice the tests that use Chromium come last, so that a worker launches it once rather
  than between modules (see tests/fakes/browser.py), and so that what an idle worker takes from
  the end of a queue is browser tests, which it then runs together too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def slices(total: int, workers: int) -> list[int]:
    """The sizes of worksteal's first slices."""
    sizes: list[int] = []
    for k in range(workers):
        sizes.append((total - sum(sizes)) // (workers - k))
    return sizes


def spread(
    tests: Sequence[T],
    workers: int,
    seconds: Callable[[T], float],
    uses_browser: Callable[[T], bool],
) -> list[T]:
    """`tests` in the order above; `seconds` is an estimate, 0 for a quick test."""
    workers = max(workers, 1)
    slow = sorted((t for t in tests if seconds(t) > 0), key=seconds, reverse=True)
    quick = [t for t in tests if seconds(t) == 0]
    shares: list[list[T]] = [[] for _ in range(workers)]
    loads = [0.0] * workers
    for test in slow:
        k = loads.index(min(loads))
        shares[k].append(test)
        loads[k] += seconds(test)

    # The quick tests, in collection order (module fixtures are set up once), cut into pieces
    # that fill each slice up to its size.
    sizes = slices(len(tests), workers)
    room = [max(size - len(share), 0) for share, size in zip(shares, sizes, strict=True)]
    plain = [t for t in quick if not uses_browser(t)]
    browsing = [t for t in quick if uses_browser(t)]
    ordered: list[T] = []
    filled = plain_end = browsing_end = 0
    for k, share in enumerate(shares):
        filled += room[k]
        plain_start = plain_end
        plain_end = max(plain_start, round(len(plain) * filled / max(sum(room), 1)))
        browsing_start, browsing_end = browsing_end, max(browsing_end, filled - plain_end)
        if k == workers - 1:
            plain_end, browsing_end = len(plain), len(browsing)
        ordered += [t for t in share if not uses_browser(t)] + plain[plain_start:plain_end]
        ordered += [t for t in share if uses_browser(t)] + browsing[browsing_start:browsing_end]
    return ordered
