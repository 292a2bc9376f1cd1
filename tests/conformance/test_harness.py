"""The conformance harness itself: each verdict comes out where it should, so a row that
passes says something (a harness that cannot fail would make the whole table meaningless)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import require_torch

torch = require_torch()  # skips this module without torch; fails it under MINIDL_REQUIRE_TORCH=1
if os.environ.get("MINIDL_REQUIRE_TORCH") != "1":
    pytest.importorskip("expecttest", reason="torch.testing._internal needs expecttest")

import minidl as md  # noqa: E402
import minidl.nn.functional as F  # noqa: E402

from .compare import compare  # noqa: E402
from .convert import Converter  # noqa: E402
from .harness import CRASH, PASS, RANDOM, SKIPPED, UNSUPPORTED, WRONG, Case, run  # noqa: E402


def verdict(theirs, ours, values=(0.5, -1.25, 2.0), names=("exp",)):
    """Run one case on a float64 vector; return the Outcome."""
    conv = Converter()
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    m = conv(t, "input")
    state = lambda: [(p.path, p.theirs, p.ours) for p in conv.tensors]  # noqa: E731
    return run(Case("test", lambda: theirs(t), lambda: ours(m), conv, names, state), seed=0)


def test_a_matching_op_passes():
    assert verdict(torch.exp, md.exp).status == PASS


def test_values_off_by_a_little_are_wrong():
    out = verdict(torch.exp, lambda m: md.exp(m) * (1 + 1e-6))
    assert out.status == WRONG and "max abs diff" in out.reason


def test_a_float32_result_is_wrong():
    out = verdict(torch.exp, lambda m: md.exp(m).float())
    assert out.status == WRONG and "dtype float32" in out.reason


def test_no_gradient_where_torch_has_one_is_wrong():
    out = verdict(torch.exp, lambda m: md.tensor(np.exp(m.numpy())))
    assert out.status == WRONG and out.reason.startswith("no gradient to input")


def test_a_wrong_gradient_is_wrong():
    out = verdict(torch.exp, lambda m: m * 0 + md.tensor(np.exp(m.numpy())))
    assert out.status == WRONG and out.reason.startswith("grad of input")


def test_a_value_where_torch_gives_a_named_tuple_is_wrong():
    out = verdict(lambda t: torch.max(t.reshape(1, 3), 1), lambda m: m.reshape(1, 3).amax(1))
    assert out.status == WRONG and "tuple" in out.reason


def test_an_in_place_update_torch_does_not_make_is_wrong():
    def ours(m):
        m.data += 1.0
        return md.exp(m.detach() - 1.0)

    out = verdict(lambda t: torch.exp(t.detach()), ours)
    assert out.status == WRONG and "after the call" in out.reason


def test_a_signature_error_is_an_unclear_crash():
    out = verdict(torch.exp, lambda m: md.exp(m, bogus=1))
    assert out.status == CRASH and "unexpected keyword" in out.reason


def test_a_refusal_naming_the_op_is_clear_and_one_not_naming_it_is_not():
    # minidl's item() refuses a 3-element tensor with "item: only one-element tensors ..."
    assert verdict(torch.exp, lambda m: m.item(), names=("item",)).status == UNSUPPORTED
    assert verdict(torch.exp, lambda m: m.item(), names=("exp",)).status == CRASH


def test_an_error_from_inside_numpy_is_an_unclear_crash():
    out = verdict(torch.sum, lambda m: md.tensor(np.sum(m.numpy(), axis=3)), names=("axis",))
    assert out.status == CRASH and "[raised in numpy" in out.reason


def test_a_sample_torch_refuses_is_skipped():
    assert verdict(lambda t: t.reshape(7), md.exp).status == SKIPPED


def test_random_ops_compare_shapes_and_dtypes_only():
    values = tuple(np.linspace(1.0, 2.0, 64))
    dropout = lambda t: torch.nn.functional.dropout(t, 0.5)  # noqa: E731
    out = verdict(dropout, lambda m: F.dropout(m, 0.5), values)
    assert (out.status, out.reason) == (PASS, RANDOM)
    out = verdict(dropout, lambda m: m[:3], values)
    assert out.status == WRONG and "shape" in out.reason


def test_a_tie_rule_accepts_another_index_only_when_it_says_so():
    theirs, ours = torch.tensor([1]), md.tensor(np.array([2]))
    assert compare(theirs, ours, "out") == "out: 1 of 1 values differ"
    assert compare(theirs, ours, "out", tie=lambda path, t, o: True) is None
