"""One PyTorch sample through minidl: forward, in-place state, backward, and a verdict.

Verdicts:

- PASS: forward outputs, the state after the call and every gradient match (`compare`).
- WRONG: some value, dtype, shape, output structure or gradient differs.
- UNSUPPORTED (clear): minidl raised ValueError, TypeError or NotImplementedError from its
  own code (the last traceback frame is inside the minidl package), the message names the
  op, and it is not a Python signature error. This is how an option minidl does not
  implement should be refused.
- CRASH (unclear): any other exception: a signature error ("got an unexpected keyword
  argument", "takes 2 positional arguments"), an error raised inside NumPy or Numba, an
  AttributeError, an IndexError, ...
- SKIPPED: torch itself raised on the sample; it says nothing about minidl.

Backward: every floating output that requires grad in torch gets a fixed random cotangent
(seeded per sample); torch differentiates with ``torch.autograd.grad(allow_unused=True)``,
minidl with ``Tensor.backward`` of each output, and the gradients of all the inputs (and
parameters) that require grad in torch are compared.
"""

from __future__ import annotations

import os
import re
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch

import minidl as md

from .compare import TieRule, compare, compare_grad
from .convert import Converter

PASS, WRONG, UNSUPPORTED, CRASH, SKIPPED = (
    "pass",
    "wrong",
    "unsupported-clear",
    "crash-unclear",
    "skipped",
)
STATUSES = (PASS, WRONG, UNSUPPORTED, CRASH, SKIPPED)
RANDOM = "random in torch: shapes and dtypes compared"  # the note on such a PASS

# Messages that are Python's (or a failed duck type's), not an op refusing an argument.
_SIGNATURE = re.compile(
    r"unexpected keyword argument|positional argument|missing \d+ required|"
    r"got multiple values for|takes (no|\d+) |object is not callable|has no attribute|"
    r"not subscriptable|unsupported operand type|not supported between instances|"
    r"cannot be interpreted as an integer|object is not iterable|unhashable type"
)
_CLEAR_TYPES = (ValueError, TypeError, NotImplementedError)
_MINIDL_DIR = os.path.dirname(os.path.abspath(md.__file__)) + os.sep


@dataclass(frozen=True)
class Outcome:
    status: str
    sample: str  # one line: which sample
    reason: str = ""  # one line: why it did not pass


@dataclass
class Case:
    """One sample, ready to run: each side's call as a closure over its own values.

    ``state`` lists, after the forward, (path, torch value, minidl value) of what the call may
    have changed in place (input tensors, a module's buffers). ``names`` are the words an
    error message may use to name the op (``max_pool2d``, ``MaxPool2d``). ``prepare`` runs
    after torch's call and before minidl's (a layer's constructor and the copy of torch's
    parameters); it returns None or why the result is WRONG. ``random_check``: whether a
    mismatch is retried in torch under another seed to tell a random op (a module's second
    call would update its running statistics twice, so layers say False).
    """

    sample: str
    theirs: Callable[[], Any]
    ours: Callable[[], Any]
    converter: Converter
    names: tuple[str, ...]
    state: Callable[[], list[tuple[str, Any, Any]]]
    tie: TieRule | None = None
    prepare: Callable[[], str | None] | None = None
    random_check: bool = True


def run(case: Case, seed: int) -> Outcome:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _run(case, seed)


def _run(case: Case, seed: int) -> Outcome:
    torch.manual_seed(seed)
    try:
        expected = case.theirs()
    except Exception as e:  # noqa: BLE001 - torch refusing a sample is not minidl's doing
        return Outcome(SKIPPED, case.sample, f"torch raised {type(e).__name__}: {e}"[:200])
    if case.prepare is not None:
        try:
            reason = case.prepare()
        except Exception as e:  # noqa: BLE001
            status, reason = classify(e, case.names, "constructor")
            return Outcome(status, case.sample, reason)
        if reason:
            return Outcome(WRONG, case.sample, reason)
    try:
        got = case.ours()
    except Exception as e:  # noqa: BLE001
        status, reason = classify(e, case.names, "forward")
        return Outcome(status, case.sample, reason)

    random = False
    reason = compare(expected, got, "out", case.tie)
    if reason and case.random_check and _is_random(case, expected, seed):
        random, reason = True, compare(expected, got, "out", values=False)
    if reason is None and not random:
        reason = next(
            filter(None, (compare(t, o, f"{p} after the call") for p, t, o in case.state())),
            None,
        )
    if reason:
        return Outcome(WRONG, case.sample, reason)

    pairs = list(_differentiable(expected, got))
    leaves = case.converter.leaves
    if not pairs or not leaves:
        return Outcome(PASS, case.sample, RANDOM if random else "")
    generator = torch.Generator().manual_seed(seed)
    cotangents = [torch.randn(t.shape, generator=generator, dtype=t.dtype) for t, _ in pairs]
    try:
        grads = torch.autograd.grad(
            [t for t, _ in pairs], [leaf.theirs for leaf in leaves], cotangents, allow_unused=True
        )
    except Exception as e:  # noqa: BLE001
        return Outcome(SKIPPED, case.sample, f"torch backward raised {type(e).__name__}: {e}"[:200])
    try:
        for (_, o), g in zip(pairs, cotangents):
            if isinstance(o, md.Tensor) and o.requires_grad:
                o.backward(g.numpy().copy(), retain_graph=True)
    except Exception as e:  # noqa: BLE001
        status, reason = classify(e, case.names, "backward")
        return Outcome(status, case.sample, reason)
    for leaf, g in zip(leaves, grads):
        reason = compare_grad(g, leaf.ours.grad, leaf.path, values=not random)
        if reason:
            return Outcome(WRONG, case.sample, reason)
    return Outcome(PASS, case.sample, RANDOM if random else "")


def _is_random(case: Case, expected: Any, seed: int, tries: int = 8) -> bool:
    """True when torch itself gives another result under another seed (dropout, randn).

    Several seeds, since dropout of a single element agrees under two seeds half the time.
    """
    with torch.no_grad():
        for k in range(1, tries + 1):
            torch.manual_seed(seed + k)
            try:
                again = case.theirs()
                torch.testing.assert_close(again, expected, rtol=0, atol=0, equal_nan=True)
            except Exception:  # noqa: BLE001
                return True
    return False


def _differentiable(theirs: Any, ours: Any) -> Iterator[tuple[torch.Tensor, Any]]:
    """(torch output, minidl output) pairs of the outputs torch can differentiate."""
    if isinstance(theirs, torch.Tensor):
        if theirs.requires_grad and theirs.dtype.is_floating_point:
            yield theirs, ours
    elif isinstance(theirs, (tuple, list)):
        for t, o in zip(theirs, ours):
            yield from _differentiable(t, o)


def classify(exc: BaseException, names: tuple[str, ...], phase: str) -> tuple[str, str]:
    """(UNSUPPORTED or CRASH, a one-line reason) for an exception minidl raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1] if frames else None
    inside = last is not None and os.path.abspath(last.filename).startswith(_MINIDL_DIR)
    text = str(exc).strip()
    message = text.splitlines()[0] if text else ""
    reason = f"{phase}: {type(exc).__name__}: {message}"[:240]
    if (
        isinstance(exc, _CLEAR_TYPES)
        and inside
        and not _SIGNATURE.search(message)
        and any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", message) for n in names)
    ):
        return UNSUPPORTED, reason
    if last is not None and not inside:
        reason += f" [raised in {_short(last.filename)}:{last.lineno}]"
    return CRASH, reason


def _short(filename: str) -> str:
    parts = os.path.abspath(filename).split(os.sep)
    for anchor in ("site-packages", "conformance"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) + 1 :])
    return "/".join(parts[-2:])


def verdict(key: str, outcomes: tuple[Outcome, ...]) -> str | None:
    """For a row's test: None when no sample is WRONG or CRASH, else the failure message.

    UNSUPPORTED samples are allowed; they are printed (``pytest -rP`` shows them).
    """
    for o in outcomes:
        if o.status == UNSUPPORTED:
            print(f"unsupported: {key} {o.sample}\n    {o.reason}")
    bad = [o for o in outcomes if o.status in (WRONG, CRASH)]
    if not bad:
        return None
    lines = [f"{o.status}: {o.sample}\n    {o.reason}" for o in bad[:12]]
    more = f"\n... and {len(bad) - 12} more" if len(bad) > 12 else ""
    return (
        f"{key}: {len(bad)} of {len(outcomes)} samples wrong or crash\n" + "\n".join(lines) + more
    )
