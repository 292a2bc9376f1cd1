"""``einsum``: products and sums named by index letters, and its backward, which is another
einsum: the gradient of operand k is the einsum of the output's gradient with the other
operands, written to operand k's letters (letters that appear nowhere else are broadcast).
"""

from __future__ import annotations

import string
from typing import Any

from .. import backend
from ..autograd import Function
from ..tensor import Tensor


def _parse(op: str, equation: str, ndims: list[int]) -> tuple[list[str], str]:
    """Explicit subscripts per operand and for the output, with ``...`` spelled out."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"{op}: the equation names {len(terms)} operands, got {len(ndims)}")
    free = [c for c in string.ascii_letters if c not in eq]
    most = max(
        (n - len(t.replace("...", "")) for t, n in zip(terms, ndims) if "..." in t), default=0
    )
    ellipsis = "".join(free[:most])
    out_terms = []
    for t, n in zip(terms, ndims):
        if "..." in t:
            k = n - len(t.replace("...", ""))
            t = t.replace("...", ellipsis[most - k :])
        if len(t) != n:
            raise ValueError(f"{op}: subscripts {t!r} do not fit an operand with {n} dims")
        if not all(c in string.ascii_letters for c in t):
            raise ValueError(f"{op}: subscripts must be letters, got {t!r}")
        out_terms.append(t)
    if arrow:
        out = rhs.replace("...", ellipsis)
    else:  # implicit output: ellipsis dims, then letters seen once, in order
        letters = "".join(out_terms)
        out = ellipsis + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ellipsis)
        )
    return out_terms, out


class Einsum(Function):
    @staticmethod
    def forward(ctx, *arrays, terms, out):
        xp = backend.array_module(arrays[0])
        ctx.save_for_backward(*arrays)
        ctx.terms, ctx.out = terms, out
        return xp.asarray(xp.einsum(",".join(terms) + "->" + out, *arrays))

    @staticmethod
    def backward(ctx, g):
        arrays = ctx.saved_tensors
        xp = backend.array_module(g)
        grads = []
        for k, (a, term) in enumerate(zip(arrays, ctx.terms)):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [(t, x) for i, (t, x) in enumerate(zip(ctx.terms, arrays)) if i != k]
            seen = set(ctx.out) | {c for t, _ in others for c in t}
            kept = "".join(c for c in term if c in seen)
            spec = ",".join([ctx.out] + [t for t, _ in others]) + "->" + kept
            part = xp.einsum(spec, g, *[x for _, x in others])
            # letters only in this operand were summed away: put them back as size 1
            part = xp.expand_dims(part, [i for i, c in enumerate(term) if c not in seen])
            # a size-1 dim that einsum broadcast against a longer one: sum its gradient
            stretched = tuple(i for i, n in enumerate(a.shape) if n == 1 and part.shape[i] > 1)
            if stretched:
                part = part.sum(axis=stretched, keepdims=True)
            grads.append(xp.broadcast_to(part, a.shape).astype(a.dtype))
        return tuple(grads)

    @staticmethod
    def vjp(ctx, g):
        # backward with the same einsum strings, on Tensors
        from .shape import broadcast_to

        arrays = ctx.args
        grads = []
        for k, (a, term) in enumerate(zip(arrays, ctx.terms)):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [(t, x) for i, (t, x) in enumerate(zip(ctx.terms, arrays)) if i != k]
            seen = set(ctx.out) | {c for t, _ in others for c in t}
            kept = "".join(c for c in term if c in seen)
            spec = ",".join([ctx.out] + [t for t, _ in others]) + "->" + kept
            part = einsum(spec, g, *[x for _, x in others])
            shape = list(part.shape)
            for i, c in enumerate(term):
                if c not in seen:
                    shape.insert(i, 1)
            part = part.reshape(tuple(shape))
            stretched = tuple(i for i, n in enumerate(a.shape) if n == 1 and part.shape[i] > 1)
            if stretched:
                part = part.sum(dim=stretched, keepdim=True)
            grads.append(broadcast_to(part, a.shape))
        return tuple(grads)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, e.g. ``einsum("bij,bjk->bik", a, b)`` (batched matmul) or
    ``einsum("ii->", a)`` is refused (a repeated letter within one operand, a diagonal, is
    not supported).  Reference: ``torch.einsum``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum: operand {i} is a {type(t).__name__}, not a Tensor")
    terms, out = _parse("einsum", equation, [t.ndim for t in operands])
    for t in terms:
        if len(set(t)) != len(t):
            raise NotImplementedError(
                f"einsum: a letter repeated within one operand ({t!r}, a diagonal) is not "
                "supported; take torch.diagonal first"
            )
    return Einsum.apply(*operands, terms=tuple(terms), out=out)
