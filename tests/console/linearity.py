"""Growth-ratio checks shared by the console tests: cost at 1x, 4x and 16x of a shape.

A check of the *ratio* of CPU times (not wall time, not a threshold in seconds):
the machine running the tests may be slow or shared, but a linear parser costs
about 16 times more on 16 times the input whatever the machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable

SIZES = (1, 4, 16)


def cpu_cost(run: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return max(best, 1e-6)


def growth(make: Callable[[int], Callable[[], object]], base: int) -> tuple[float, float]:
    """(cost(4x) / cost(1x) / 4, cost(16x) / cost(1x) / 16): about 1 or less when linear.
    The 16x run is skipped (returned as 4x's figure times 4) once 4x is already far off,
    so a regression fails in seconds instead of running for minutes."""
    one = cpu_cost(make(base * SIZES[0]))
    four = cpu_cost(make(base * SIZES[1])) / one / SIZES[1]
    if four > 8:
        return four, four * 4
    return four, cpu_cost(make(base * SIZES[2]), repeat=1) / one / SIZES[2]


def assert_linear(make: Callable[[int], Callable[[], object]], base: int, slack: float = 3.0) -> None:
    """Fails when 4x or 16x the input costs more than ``slack`` times its linear share."""
    four, sixteen = growth(make, base)
    if four > slack or sixteen > slack:  # measure once more before blaming: a busy machine has hiccups
        again = growth(make, base)
        four, sixteen = min(four, again[0]), min(sixteen, again[1])
    assert four <= slack and sixteen <= slack, f"super-linear: 4x costs {four:.1f}x, 16x costs {sixteen:.1f}x its share"
