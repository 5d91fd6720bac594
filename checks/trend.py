"""Robust trends for forecasts: the Theil-Sen estimator over (time, value) points.

Theil-Sen takes the median of the slopes between every pair of points, so a one-off cleanup
or a burst of temporary files moves it far less than a least-squares line. It is O(n²) in
pairs, so long series are first averaged into at most ``max_points`` time buckets.
"""

from __future__ import annotations

from statistics import fmean, median


def downsample(points: list[tuple[float, float]], max_points: int) -> list[tuple[float, float]]:
    """Average consecutive points into at most ``max_points`` buckets of equal time span."""
    if len(points) <= max_points:
        return points
    start, end = points[0][0], points[-1][0]
    span = (end - start) / max_points or 1.0
    buckets: dict[int, list[tuple[float, float]]] = {}
    for x, y in points:
        buckets.setdefault(min(int((x - start) / span), max_points - 1), []).append((x, y))
    return [(fmean(x for x, _ in group), fmean(y for _, y in group)) for _, group in sorted(buckets.items())]


def theil_sen(points: list[tuple[float, float]]) -> tuple[float, float]:
    """(slope, intercept) of the Theil-Sen line; needs two points with different x."""
    slopes = [
        (y2 - y1) / (x2 - x1)
        for i, (x1, y1) in enumerate(points)
        for x2, y2 in points[i + 1:]
        if x2 != x1
    ]
    if not slopes:
        raise ValueError("a trend needs at least two points at different times")
    slope = median(slopes)
    intercept = median(y - slope * x for x, y in points)
    return slope, intercept
