"""A lesson's sentences that state a measurement, checked where they are stated.

``claim("max-unpooling reconstructs better than nearest", err_unpool < err_nearest,
measured=f"{err_unpool:.3f} vs {err_nearest:.3f}")`` prints one line::

    PASS  max-unpooling reconstructs better than nearest (measured: 0.041 vs 0.093)

and records it. A claim that only holds with the lesson's full data and training says so with
``needs_full=True``: quick mode then prints ``NEEDS FULL MODE`` with what it measured, never a
PASS it did not earn. ``minidl lessons`` (and the lesson tests) read the records from the file
named by ``MINIDL_CLAIMS_LOG`` and fail on any FAIL.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from .. import config

STATUSES = ("PASS", "FAIL", "NEEDS FULL MODE")


@dataclass(frozen=True)
class Claim:
    statement: str
    status: str
    measured: str

    def _ipython_display_(self) -> None:
        # `claim` has printed the verdict already: a cell ending in claim(...) would otherwise
        # show the record a second time, as a dataclass repr
        pass


RECORDED: list[Claim] = []


def claim(statement: str, holds: bool, measured: str = "", *, needs_full: bool = False) -> Claim:
    """Print and record whether ``statement`` ``holds``; ``measured``: the numbers behind it."""
    if not isinstance(statement, str) or not statement:
        raise TypeError(f"claim: expected the statement as a non-empty str, got {statement!r}")
    holds = bool(holds)  # numpy bools too
    if needs_full and config.quick():
        status = "NEEDS FULL MODE"
    else:
        status = "PASS" if holds else "FAIL"
    record = Claim(statement, status, measured)
    RECORDED.append(record)
    suffix = f" (measured: {measured})" if measured else ""
    if status == "NEEDS FULL MODE":
        suffix = f" (quick mode measured: {measured or 'n/a'}; run in full mode to check)"
    print(f"{status}  {statement}{suffix}")
    log = config.claims_log()
    if log is not None:
        with open(log, "a", encoding="utf-8") as file:
            file.write(json.dumps(asdict(record)) + "\n")
    return record


def read_log(path: str) -> list[Claim]:
    """The claims recorded in a ``MINIDL_CLAIMS_LOG`` file (none if it does not exist)."""
    try:
        with open(path, encoding="utf-8") as file:
            return [Claim(**json.loads(line)) for line in file if line.strip()]
    except FileNotFoundError:
        return []


def summary(claims: list[Claim] | None = None) -> str:
    """A line counting the claims by status: what a lesson's last cell prints."""
    claims = RECORDED if claims is None else claims
    counts = {s: sum(c.status == s for c in claims) for s in STATUSES}
    text = ", ".join(f"{n} {s.lower()}" for s, n in counts.items() if n) or "no claims"
    failed = [c.statement for c in claims if c.status == "FAIL"]
    return text + "".join(f"\n  FAIL  {s}" for s in failed)
