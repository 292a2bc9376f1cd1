"""The everyday PyTorch vocabulary: reductions with dims, selection by index, joining and
splitting, shape helpers, masks, running sums and the pointwise math table.

Each case is called the same way in both libraries (``fn(lib, *tensors)``), on float64
inputs away from kinks and ties; the test compares the forward with PyTorch's, the gradient
of <out, v> for a random cotangent v with PyTorch's, and runs ``md.gradcheck``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import minidl as md

RNG = np.random.default_rng(0)


def distinct(*shape: int) -> np.ndarray:
    """Values at least 0.1 apart (no ties for max/sort/median), shuffled."""
    n = int(np.prod(shape))
    return (0.1 * RNG.permutation(n) - 0.05 * n + RNG.uniform(0, 0.01, n)).reshape(shape)


def positive(*shape: int) -> np.ndarray:
    return RNG.uniform(0.5, 2.0, shape)


def normal(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def unit(*shape: int) -> np.ndarray:
    return RNG.uniform(-0.8, 0.8, shape)


def first(out):
    """The values of a (values, indices) result; the output itself otherwise."""
    return out[0] if isinstance(out, tuple) else out


# name, inputs, fn(lib, *tensors) -> output
CASES: list[tuple[str, list[np.ndarray], Callable]] = [
    ("sum_dim_keepdim", [normal(3, 4, 2)], lambda L, x: x.sum(dim=1, keepdim=True)),
    ("sum_dims_tuple", [normal(3, 4, 2)], lambda L, x: L.sum(x, (0, 2))),
    ("mean_dim", [normal(3, 4)], lambda L, x: x.mean(dim=0, keepdim=True)),
    ("max_dim", [distinct(3, 4)], lambda L, x: x.max(1)),
    ("max_dim_keepdim", [distinct(3, 4, 2)], lambda L, x: L.max(x, dim=-1, keepdim=True)),
    ("min_dim", [distinct(3, 4)], lambda L, x: x.min(0)),
    ("max_all", [distinct(3, 4)], lambda L, x: x.max()),
    ("max_other", [distinct(3, 4), distinct(3, 4)], lambda L, x, y: L.max(x, y)),
    ("amax", [distinct(3, 4, 2)], lambda L, x: x.amax((0, 2))),
    ("prod", [positive(3, 4)], lambda L, x: x.prod(1)),
    ("prod_with_zero", [np.array([[0.0, 2.0, 3.0], [1.5, 0.5, 2.0]])], lambda L, x: x.prod(1)),
    ("prod_all", [positive(2, 3)], lambda L, x: x.prod()),
    ("var", [normal(4, 5)], lambda L, x: x.var(1)),
    ("var_correction0", [normal(4, 5)], lambda L, x: L.var(x, dim=0, correction=0)),
    ("std_unbiased_false", [normal(4, 5)], lambda L, x: x.std(1, unbiased=False, keepdim=True)),
    ("std_all", [normal(4, 5)], lambda L, x: x.std()),
    ("logsumexp", [normal(3, 4)], lambda L, x: L.logsumexp(x, 1)),
    ("logsumexp_big", [normal(3, 4) * 300], lambda L, x: L.logsumexp(x, dim=0, keepdim=True)),
    ("norm", [normal(3, 4)], lambda L, x: x.norm()),
    ("norm_dim_p1", [unit(3, 4) + 1.0], lambda L, x: L.norm(x, 1, 1)),
    ("norm_p3", [positive(3, 4)], lambda L, x: x.norm(3, dim=0, keepdim=True)),
    ("cumsum", [normal(3, 4)], lambda L, x: x.cumsum(1)),
    ("cumsum_dim0", [normal(3, 4)], lambda L, x: L.cumsum(x, dim=0)),
    ("cumprod", [positive(3, 4)], lambda L, x: x.cumprod(1)),
    ("sort", [distinct(3, 5)], lambda L, x: x.sort(1)),
    ("sort_descending", [distinct(3, 5)], lambda L, x: L.sort(x, dim=0, descending=True)),
    ("topk", [distinct(3, 6)], lambda L, x: x.topk(2)),
    ("topk_smallest", [distinct(4, 3)], lambda L, x: L.topk(x, 2, dim=0, largest=False)),
    ("kthvalue", [distinct(3, 5)], lambda L, x: x.kthvalue(2, 1)),
    ("median_dim", [distinct(3, 5)], lambda L, x: x.median(1)),
    ("median_even", [distinct(3, 4)], lambda L, x: x.median(dim=1, keepdim=True)),
    ("median_all", [distinct(3, 4)], lambda L, x: x.median()),
    ("gather", [normal(3, 4)], lambda L, x: x.gather(1, _idx(L, [[0, 0], [3, 1], [2, 2]]))),
    ("gather_dim0", [normal(3, 4)], lambda L, x: L.gather(x, 0, _idx(L, [[2, 0, 1, 1]]))),
    ("index_select", [normal(3, 4)], lambda L, x: x.index_select(1, _idx(L, [3, 0, 3]))),
    (
        "take_along_dim",
        [normal(3, 4)],
        lambda L, x: L.take_along_dim(x, _idx(L, [[1], [0], [3]]), 1),
    ),
    ("cat", [normal(2, 3), normal(4, 3)], lambda L, x, y: L.cat([x, y], dim=0)),
    ("cat_dim1", [normal(2, 3), normal(2, 1)], lambda L, x, y: L.cat((x, y), 1)),
    ("stack", [normal(2, 3), normal(2, 3)], lambda L, x, y: L.stack([x, y], dim=1)),
    ("hstack", [normal(2, 3), normal(2, 2)], lambda L, x, y: L.hstack([x, y])),
    ("vstack", [normal(3), normal(3)], lambda L, x, y: L.vstack([x, y])),
    ("split", [normal(5, 2)], lambda L, x: x.split(2)),
    ("split_sections", [normal(2, 6)], lambda L, x: L.split(x, [1, 2, 3], dim=1)),
    ("chunk", [normal(7, 2)], lambda L, x: x.chunk(3)),
    ("tensor_split", [normal(7, 2)], lambda L, x: L.tensor_split(x, 3)),
    ("unbind", [normal(3, 2)], lambda L, x: x.unbind(1)),
    ("flatten_range", [normal(2, 3, 4, 2)], lambda L, x: x.flatten(1, 2)),
    ("unflatten", [normal(2, 12)], lambda L, x: x.unflatten(1, (3, 4))),
    ("squeeze_tuple", [normal(1, 3, 1, 2)], lambda L, x: x.squeeze((0, 2))),
    ("transpose", [normal(2, 3, 4)], lambda L, x: x.transpose(0, 2)),
    ("t", [normal(2, 3)], lambda L, x: x.t()),
    ("mT", [normal(2, 3, 4)], lambda L, x: x.mT),
    ("movedim", [normal(2, 3, 4)], lambda L, x: L.movedim(x, 0, -1)),
    ("permute", [normal(2, 3, 4)], lambda L, x: x.permute(2, 0, 1)),
    ("expand_minus_one", [normal(3, 1)], lambda L, x: x.expand(2, -1, 4)),
    ("repeat", [normal(2, 3)], lambda L, x: x.repeat(2, 1, 3)),
    ("tile", [normal(2, 3)], lambda L, x: L.tile(x, (2,))),
    ("flip", [normal(2, 3, 4)], lambda L, x: x.flip((0, 2))),
    ("roll", [normal(3, 4)], lambda L, x: x.roll(1, 1)),
    ("roll_flat", [normal(3, 4)], lambda L, x: L.roll(x, -5)),
    ("narrow", [normal(5, 3)], lambda L, x: x.narrow(0, 1, 3)),
    ("tril", [normal(4, 3)], lambda L, x: x.tril()),
    ("triu_offset", [normal(3, 4)], lambda L, x: L.triu(x, 1)),
    ("clone", [normal(2, 3)], lambda L, x: x.clone() * 2),
    ("masked_fill", [normal(3, 4)], lambda L, x: x.masked_fill(x > 0, -1.5)),
    ("masked_select", [normal(3, 4)], lambda L, x: L.masked_select(x, x > 0.2)),
    ("where", [normal(3, 4), normal(3, 4)], lambda L, x, y: L.where(x > y, x, y * 2)),
    (
        "clamp_tensor_bounds",
        [normal(3, 4), normal(3, 4) - 0.5, normal(3, 4) + 0.5],
        lambda L, x, lo, hi: L.clamp(x, lo, hi),
    ),
    ("clamp_max_only_tensor", [normal(3, 4), normal(1, 4)], lambda L, x, hi: x.clamp(max=hi)),
    ("add_alpha", [normal(3), normal(3)], lambda L, x, y: L.add(x, y, alpha=0.5)),
    ("sub_alpha", [normal(3), normal(3)], lambda L, x, y: x.sub(y, alpha=2)),
    ("mm", [normal(2, 3), normal(3, 4)], lambda L, x, y: L.mm(x, y)),
    ("bmm", [normal(2, 2, 3), normal(2, 3, 4)], lambda L, x, y: L.bmm(x, y)),
    ("mv", [normal(2, 3), normal(3)], lambda L, x, y: x.mv(y)),
    ("dot", [normal(3), normal(3)], lambda L, x, y: L.dot(x, y)),
    ("outer", [normal(3), normal(2)], lambda L, x, y: L.outer(x, y)),
    ("square", [normal(3, 2)], lambda L, x: x.square()),
    ("log1p", [positive(3)], lambda L, x: L.log1p(x)),
    ("expm1", [normal(3)], lambda L, x: x.expm1()),
    ("log2", [positive(3)], lambda L, x: x.log2()),
    ("log10", [positive(3)], lambda L, x: L.log10(x)),
    ("sin", [normal(3)], lambda L, x: x.sin()),
    ("cos", [normal(3)], lambda L, x: L.cos(x)),
    ("tan", [unit(3)], lambda L, x: x.tan()),
    ("asin", [unit(3)], lambda L, x: x.asin()),
    ("acos", [unit(3)], lambda L, x: x.acos()),
    ("atan", [normal(3)], lambda L, x: x.atan()),
    ("sinh", [normal(3)], lambda L, x: x.sinh()),
    ("cosh", [normal(3)], lambda L, x: x.cosh()),
    ("rsqrt", [positive(3)], lambda L, x: x.rsqrt()),
    ("reciprocal", [positive(3)], lambda L, x: x.reciprocal()),
    ("frac", [unit(3) + 2.3], lambda L, x: x.frac()),
    ("floor_has_zero_grad", [unit(3) + 0.3], lambda L, x: x.floor() + x),
    (
        "layer_norm",
        [normal(2, 3, 4), normal(3, 4), normal(3, 4)],
        lambda L, x, w, b: _F(L).layer_norm(x, (3, 4), w, b, eps=1e-3),
    ),
    ("layer_norm_last_dim", [normal(5, 4)], lambda L, x: _F(L).layer_norm(x, [4])),
    (
        "group_norm",
        [normal(2, 4, 3), normal(4), normal(4)],
        lambda L, x, w, b: _F(L).group_norm(x, 2, w, b),
    ),
    (
        "batch_norm_3d_input",
        [normal(4, 3, 5), normal(3), normal(3)],
        lambda L, x, w, b: _F(L).batch_norm(x, None, None, w, b, training=True),
    ),
    ("embedding", [normal(5, 3)], lambda L, w: _F(L).embedding(_idx(L, [[0, 4, 0], [2, 2, 1]]), w)),
    (
        "embedding_padding_idx",
        [normal(5, 3)],
        lambda L, w: _F(L).embedding(_idx(L, [0, 4, 0, 1]), w, padding_idx=0),
    ),
    (
        "conv1d",
        [normal(2, 4, 9), normal(6, 2, 3), normal(6)],
        lambda L, x, w, b: _F(L).conv1d(x, w, b, stride=2, padding=1, groups=2),
    ),
    (
        "conv_transpose1d",
        [normal(2, 4, 5), normal(4, 3, 3)],
        lambda L, x, w: _F(L).conv_transpose1d(x, w, stride=2, output_padding=1),
    ),
    ("max_pool1d", [distinct(2, 3, 9)], lambda L, x: _F(L).max_pool1d(x, 3, 2, 1)),
    ("avg_pool1d", [normal(2, 3, 9)], lambda L, x: _F(L).avg_pool1d(x, 3, 2, ceil_mode=True)),
    ("adaptive_avg_pool1d", [normal(2, 3, 9)], lambda L, x: _F(L).adaptive_avg_pool1d(x, 4)),
    (
        "einsum_bmm",
        [normal(2, 3, 4), normal(2, 4, 2)],
        lambda L, x, y: L.einsum("bij,bjk->bik", x, y),
    ),
    ("einsum_sum_out", [normal(3, 4), normal(4)], lambda L, x, y: L.einsum("ij,j->", x, y)),
    (
        "einsum_ellipsis_broadcast",
        [normal(2, 1, 3), normal(4, 3)],
        lambda L, x, y: L.einsum("...j,kj->...k", x, y),
    ),
    ("tensordot", [normal(2, 3, 4), normal(3, 4, 5)], lambda L, x, y: L.tensordot(x, y, 2)),
    ("atan2", [normal(3, 4), normal(3, 4)], lambda L, y, x: L.atan2(y, x)),
    ("xlogy", [normal(3), positive(3)], lambda L, x, y: L.xlogy(x, y)),
    ("logaddexp", [normal(3) * 50, normal(3) * 50], lambda L, x, y: L.logaddexp(x, y)),
    ("hypot", [positive(3), positive(3)], lambda L, x, y: L.hypot(x, y)),
    ("lerp", [normal(3), normal(3), unit(3)], lambda L, a, b, w: L.lerp(a, b, w)),
    (
        "addmm",
        [normal(2, 4), normal(2, 3), normal(3, 4)],
        lambda L, a, b, c: L.addmm(a, b, c, beta=0.5, alpha=2),
    ),
    (
        "addcdiv",
        [normal(3), normal(3), positive(3)],
        lambda L, a, b, c: L.addcdiv(a, b, c, value=0.3),
    ),
    ("erf", [normal(4)], lambda L, x: x.erf()),
    ("erfinv", [unit(4)], lambda L, x: x.erfinv()),
    ("logit", [unit(4) * 0.5 + 0.5], lambda L, x: x.logit()),
    ("asinh", [normal(4)], lambda L, x: x.asinh()),
    ("atanh", [unit(4)], lambda L, x: x.atanh()),
    (
        "scatter",
        [normal(3, 4), normal(2, 4)],
        lambda L, x, s: x.scatter(0, _idx(L, [[0, 2, 1, 0], [1, 0, 2, 2]]), s),
    ),
    (
        "scatter_add_repeats",
        [normal(3, 4), normal(2, 4)],
        lambda L, x, s: L.scatter_add(x, 0, _idx(L, [[0, 0, 1, 0], [0, 0, 2, 2]]), s),
    ),
    (
        "index_add",
        [normal(4, 3), normal(2, 3)],
        lambda L, x, s: x.index_add(0, _idx(L, [3, 3]), s, alpha=2),
    ),
    (
        "index_copy",
        [normal(4, 3), normal(2, 3)],
        lambda L, x, s: L.index_copy(x, 0, _idx(L, [3, 0]), s),
    ),
    ("cummax", [distinct(3, 5)], lambda L, x: x.cummax(1)),
    ("cummin", [distinct(3, 5)], lambda L, x: L.cummin(x, 0)),
    ("logcumsumexp", [normal(3, 5) * 40], lambda L, x: L.logcumsumexp(x, 1)),
    ("diagonal", [normal(3, 4, 2)], lambda L, x: L.diagonal(x, 1, 0, 1)),
    ("diag_vector", [normal(3)], lambda L, x: L.diag(x, -1)),
    ("trace", [normal(3, 3)], lambda L, x: x.trace()),
    ("kron", [normal(2, 3), normal(2, 2)], lambda L, x, y: L.kron(x, y)),
    ("cross", [normal(4, 3), normal(4, 3)], lambda L, x, y: L.cross(x, y, dim=1)),
    ("cdist", [normal(2, 3, 4), normal(2, 5, 4)], lambda L, x, y: L.cdist(x, y)),
    ("repeat_interleave", [normal(2, 3)], lambda L, x: x.repeat_interleave(2, dim=1)),
    ("rot90", [normal(2, 3)], lambda L, x: L.rot90(x, 3)),
    ("diff_prepend", [normal(2, 5), normal(2, 1)], lambda L, x, p: L.diff(x, 2, prepend=p)),
    ("meshgrid_xy", [normal(3), normal(2)], lambda L, x, y: L.meshgrid(x, y, indexing="xy")),
    ("var_mean", [normal(3, 4)], lambda L, x: L.var_mean(x, 1)),
    ("nanmean", [np.array([[1.0, np.nan, 2.0], [0.5, 1.5, np.nan]])], lambda L, x: L.nanmean(x, 1)),
    ("unfold", [normal(2, 3, 5, 6)], lambda L, x: _F(L).unfold(x, (2, 3), 1, 1, (2, 1))),
    ("fold", [normal(2, 12, 9)], lambda L, c: _F(L).fold(c, (4, 5), 2, padding=1, stride=2)),
    ("pixel_shuffle", [normal(2, 8, 3, 2)], lambda L, x: _F(L).pixel_shuffle(x, 2)),
    ("pixel_unshuffle", [normal(2, 2, 4, 6)], lambda L, x: _F(L).pixel_unshuffle(x, 2)),
    (
        "attention_causal",
        [normal(2, 4, 3), normal(2, 4, 3), normal(2, 4, 2)],
        lambda L, q, k, v: _F(L).scaled_dot_product_attention(q, k, v, is_causal=True),
    ),
    ("linalg_inv", [normal(2, 3, 3) + 3 * np.eye(3)], lambda L, a: L.linalg.inv(a)),
    ("linalg_det", [normal(2, 3, 3)], lambda L, a: L.linalg.det(a)),
    (
        "linalg_solve_matrix",
        [normal(3, 3) + 3 * np.eye(3), normal(3, 2)],
        lambda L, a, b: L.linalg.solve(a, b),
    ),
    (
        "linalg_solve_vector",
        [normal(3, 3) + 3 * np.eye(3), normal(3)],
        lambda L, a, b: L.linalg.solve(a, b),
    ),
    ("linalg_svdvals", [normal(4, 3)], lambda L, a: L.linalg.svdvals(a)),
    ("linalg_norm_nuc", [normal(3, 4)], lambda L, a: L.linalg.matrix_norm(a, "nuc")),
    ("linalg_vector_norm_p", [normal(3, 4)], lambda L, a: L.linalg.vector_norm(a, 3, (0, 1))),
    ("norm_dims_keepdim", [normal(2, 3, 4)], lambda L, a: a.norm(1.5, (0, 2), True)),
    ("round_decimals", [unit(4) + 0.013], lambda L, x: L.round(x, decimals=1) * x),
]


def _F(L):
    return md.nn.functional if L is md else L.nn.functional


def _idx(L, values):
    return L.tensor(values) if L is md else L.tensor(values, dtype=L.int64)


def _torch_inputs(torch, arrays):
    return [torch.tensor(a, requires_grad=True) for a in arrays]


def _outputs(out) -> list:
    return [o for o in (out if isinstance(out, tuple) else (out,))]


@pytest.mark.parametrize("name,arrays,fn", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, arrays, fn, torch):
    ours = [md.tensor(a, requires_grad=True) for a in arrays]
    theirs = _torch_inputs(torch, arrays)
    out_md, out_t = _outputs(fn(md, *ours)), _outputs(fn(torch, *theirs))
    assert len(out_md) == len(out_t)
    total_md, total_t = 0.0, 0.0
    for a, b in zip(out_md, out_t):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert a.dtype == np.dtype(str(b.dtype).replace("torch.", ""))
        if b.dtype.is_floating_point:
            v = RNG.standard_normal(b.shape)
            total_md = total_md + (a * md.tensor(v)).sum()
            total_t = total_t + (b * torch.tensor(v)).sum()
    total_md.backward()
    total_t.backward()
    for a, b in zip(ours, theirs):
        want = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        got = np.zeros(a.shape) if a.grad is None else a.grad
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


# rounding is flat (gradient 0 by definition, finite differences jump), and the padding row
# of an embedding gets no gradient by definition, though its value does change the output
GRADCHECKED = [c for c in CASES if not c[0].startswith(("floor", "round", "embedding_padding"))]


@pytest.mark.parametrize("name,arrays,fn", GRADCHECKED, ids=[c[0] for c in GRADCHECKED])
def test_gradcheck(name, arrays, fn):
    def scalar(*ts):
        outs = [o for o in _outputs(fn(md, *ts)) if o.dtype.kind == "f"]
        return sum(((o * o).sum() for o in outs), md.tensor(0.0, dtype=md.float64))

    md.gradcheck(scalar, [md.tensor(a, requires_grad=True) for a in arrays])


# svdvals (and the nuclear norm, its sum) have no differentiable backward: that would need
# the derivatives of U and V; test_svdvals_says_create_graph_is_unsupported checks the error
TWICE = [c for c in GRADCHECKED if c[0] not in ("linalg_svdvals", "linalg_norm_nuc")]


@pytest.mark.parametrize("name,arrays,fn", TWICE, ids=[c[0] for c in TWICE])
def test_gradgradcheck(name, arrays, fn):
    def outputs(*ts):
        return tuple(o for o in _outputs(fn(md, *ts)) if o.dtype.kind == "f")

    md.gradgradcheck(outputs, [md.tensor(a, requires_grad=True) for a in arrays])


def test_svdvals_says_create_graph_is_unsupported():
    a = md.tensor(np.random.default_rng(0).standard_normal((3, 2)), requires_grad=True)
    with pytest.raises(NotImplementedError, match="svdvals: its backward is not differentiable"):
        md.autograd.grad(md.linalg.svdvals(a).sum(), a, create_graph=True)
