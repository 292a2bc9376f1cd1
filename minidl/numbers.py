"""Numbers as a person reads them: a few significant digits, never ``-0``, never ``np.float64(…)``.

    >>> fmt(1.3862297087996467e-08), fmt(-0.0), fmt(np.float64(-0.8523900581258608))
    ('1.39e-08', '0', '-0.852')
    >>> fmt(1703.5137), fmt(0.9163), fmt(12)
    ('1704', '0.916', '12')
    >>> fmt_apart(1.0000001, 1.0)           # two numbers that differ never print alike
    ('1.0000001', '1')
    >>> decimals_apart([0.9001, 0.31], 0.8992)
    3

The command line, the demos' summaries, the lab's messages and the pictures' captions all
print through these, so that one number looks the same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

SCIENTIFIC_BELOW = 1e-3  # 0.000123 reads worse than 1.23e-04
SCIENTIFIC_FROM = 1e6  # 1234567 reads worse than 1.23e+06


def fmt(x: Any, digits: int = 3) -> str:
    """``x`` with ``digits`` significant digits (more before the point when it is larger:
    1704, not 1.7e+03), without a minus sign on zero; scientific below 0.001 and from a
    million. Integers, booleans and strings as they are."""
    if isinstance(x, (bool, str)) or x is None:
        return str(x)
    if hasattr(x, "item") and getattr(x, "size", 1) == 1:
        x = x.item()  # NumPy / CuPy scalars and 0-d arrays: the plain Python number
    if isinstance(x, int):
        return str(x)
    x = float(x)
    if not math.isfinite(x):
        return str(x)  # "nan", "inf", "-inf"
    size = abs(x)
    if size == 0:
        return "0"
    if size < SCIENTIFIC_BELOW or size >= SCIENTIFIC_FROM:
        text = f"{x:.{digits - 1}e}"
    else:
        decimals = max(0, digits - 1 - math.floor(math.log10(size)))
        text = f"{x:.{decimals}f}"
    return _no_negative_zero(text)


def _no_negative_zero(text: str) -> str:
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def fmt_apart(a: Any, b: Any, digits: int = 3) -> tuple[str, str]:
    """``a`` and ``b`` with the fewest significant digits (at least ``digits``) that make
    them print differently when they differ, e.g. a kernel's value against the reference's."""
    for d in range(digits, 18):
        first, second = fmt(a, d), fmt(b, d)
        if first != second or _as_float(a) == _as_float(b):
            return _trimmed(first), _trimmed(second)
    return repr(_as_float(a)), repr(_as_float(b))


def _as_float(x: Any) -> float:
    return float(x.item() if hasattr(x, "item") else x)


def _trimmed(text: str) -> str:
    """``1.0000000`` → ``1``, ``1.2500`` → ``1.25``: trailing zeros after the point say nothing."""
    if "e" in text or "." not in text:
        return text
    return text.rstrip("0").rstrip(".")


def decimals_apart(values: Iterable[float], reference: float, decimals: int = 2) -> int:
    """The fewest decimals (at least ``decimals``, at most 6) with which no value that differs
    from ``reference`` prints equal to it: captions "d = 0.900" next to "T = 0.899" then
    never show "d = 0.90" at "T = 0.90"."""
    values = [float(v) for v in values]
    for k in range(decimals, 7):
        ref = f"{reference:.{k}f}"
        if all(v == reference or f"{v:.{k}f}" != ref for v in values):
            return k
    return 6
