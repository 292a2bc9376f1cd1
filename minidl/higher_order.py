"""Differentiable backward passes: what ``create_graph=True`` runs at each node.

`vjp(node, grads)` returns the gradients of a node's inputs computed with recorded ops
(Tensors in, Tensors out), so that they can be differentiated again. An op says how, in one
of three ways (the first one it has wins):

- ``vjp(ctx, *grads)``: its backward written again with Tensor ops. ``ctx.args`` and
  ``ctx.kwargs`` are the forward's arguments as the caller passed them (Tensors stay
  Tensors), so the result depends on both the gradient and the inputs.
- ``linear = (slots...)`` (or ``"all"``, every Tensor argument): the op is linear in those
  arguments, so its backward is linear in the gradient and does not depend on them. The
  backward's own backward is then the forward itself (the transpose of a transpose): `Adjoint`
  records the backward as one node whose backward runs the op's forward. ``affine = (slots)``
  names arguments that add a constant (pad's fill value): they are zero in the transpose.
- ``composite(ctx, *args, **kwargs)``: the forward written with differentiable ops; its graph
  is built on stand-ins of the inputs and differentiated with ``create_graph=True``.

An op with none of these raises `NotImplementedError` naming it.
"""

from __future__ import annotations

from typing import Any

from . import autograd, backend
from .autograd import Context, Function, sum_to_shape
from .tensor import Tensor


def vjp(node: Context, grads: list[Any]) -> tuple[Any, ...]:
    """The gradients of ``node``'s forward arguments for output gradients ``grads``
    (Tensors, or None for an integer output), as recorded Tensors (None where not needed)."""
    fn = node.fn
    if hasattr(fn, "vjp"):
        out = fn.vjp(node, *grads)
        return out if isinstance(out, tuple) else (out,)
    if getattr(fn, "linear", None) is not None:
        return _adjoint(node, grads)
    if hasattr(fn, "composite"):
        return _composite(node, grads)
    raise NotImplementedError(
        f"{fn.__name__}: its backward is not differentiable (create_graph=True needs a vjp, "
        f"linear or composite rule on the op; see minidl/higher_order.py)"
    )


# ---- linear ops: the transpose of the backward is the forward ------------------------------


def _linear_slots(node: Context) -> tuple[int, ...]:
    linear = node.fn.linear
    if linear == "all":  # a constant among the arguments (``2 + x``) is zero in the transpose
        return tuple(range(len(node.args)))
    return tuple(linear)


class _Spec:
    """What an `Adjoint` node keeps of the op it transposes (the op's node may be freed)."""

    def __init__(self, node: Context) -> None:
        self.node: Context | None = node
        self.fn = node.fn
        self.kwargs = node.kwargs
        self.arrays = [a.data if isinstance(a, Tensor) else a for a in node.args]
        self.linear = _linear_slots(node)
        self.needed = tuple(i for i in self.linear if node.needs_input_grad[i])
        self.affine = tuple(getattr(node.fn, "affine", ()))

    def transposed_args(self, us: tuple[Any, ...], zeros: Any) -> list[Any]:
        """The op's arguments with ``us`` in the needed slots and zeros in the other linear
        and affine ones: the forward of these is the transpose of the backward."""
        args = list(self.arrays)
        for i in self.linear:
            args[i] = zeros(self.arrays[i])
        for i in self.affine:
            args[i] = 0
        for i, u in zip(self.needed, us):
            args[i] = u
        return args


class Adjoint(Function):
    """A linear op's backward as a node: forward = the op's backward (summed to each input's
    shape), backward = the op's forward."""

    @staticmethod
    def forward(ctx, spec, *grads):
        node = spec.node
        in_grads = spec.fn.backward(node, *grads)
        in_grads = in_grads if isinstance(in_grads, tuple) else (in_grads,)
        spec.node = None  # keep nothing of the op's node alive
        for i, needs in enumerate(node.needs_input_grad):
            if needs and i not in spec.linear and in_grads[i] is not None:
                raise NotImplementedError(
                    f"{spec.fn.__name__}: create_graph=True with a gradient for argument {i}, "
                    f"in which the op is not linear, is not supported"
                )
        ctx.spec = spec
        outs = []
        for i in spec.needed:
            shape, dtype = node.inputs[i].shape, node.inputs[i].dtype
            g = in_grads[i]
            xp = backend.array_module(spec.arrays[i])
            g = xp.zeros(shape, dtype) if g is None else sum_to_shape(g, shape).astype(dtype)
            if any(g is o for o in outs) or any(g is a for a in grads):
                g = g.copy()  # two outputs must not share one array
            outs.append(g)
        return tuple(outs)

    @staticmethod
    def backward(ctx, *us):
        spec = ctx.spec
        scratch = Context(spec.fn, tuple(i in spec.needed for i in range(len(spec.arrays))))
        out = spec.fn.forward(scratch, *spec.transposed_args(us, _zeros_like), **spec.kwargs)
        return (None, *(out if isinstance(out, tuple) else (out,)))

    @staticmethod
    def vjp(ctx, *us):
        spec = ctx.spec
        args = spec.transposed_args(us, _zeros_like)
        out = spec.fn.apply(*args, **spec.kwargs)
        return (None, *(out if isinstance(out, tuple) else (out,)))


def _zeros_like(a: Any) -> Any:
    return backend.array_module(a).zeros_like(a) if hasattr(a, "shape") else 0


def _adjoint(node: Context, grads: list[Any]) -> tuple[Any, ...]:
    spec = _Spec(node)
    outs = Adjoint.apply(spec, *grads)
    result: list[Any] = [None] * len(node.args)
    for i, g in zip(spec.needed, outs):
        result[i] = g
    return tuple(result)


# ---- composite ops: differentiate the forward written with recorded ops --------------------


class Alias(Function):
    """The same values under a new node: a composite forward's stand-in for an input, so that
    its gradient is this op's alone (not also the paths between inputs outside it)."""

    linear = "all"

    @staticmethod
    def forward(ctx, a):
        return a

    @staticmethod
    def backward(ctx, g):
        return g


def _composite(node: Context, grads: list[Any]) -> tuple[Any, ...]:
    args = list(node.args)
    stand_ins: dict[int, Tensor] = {}
    for i, a in enumerate(args):
        if isinstance(a, Tensor) and node.needs_input_grad[i]:
            args[i] = stand_ins[i] = Alias.apply(a)
    outs = node.fn.composite(node, *args, **node.kwargs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    pairs = [(o, g) for o, g in zip(outs, grads) if g is not None and o.requires_grad]
    result: list[Any] = [None] * len(node.args)
    if not pairs:
        return tuple(result)
    found = autograd.grad(
        [o for o, _ in pairs],
        list(stand_ins.values()),
        [g for _, g in pairs],
        create_graph=True,
        allow_unused=True,
    )
    for i, g in zip(stand_ins, found):
        result[i] = g
    return tuple(result)


# ---- helpers the ops' vjp rules share ------------------------------------------------------


def constant(array: Any) -> Tensor:
    """An array as a Tensor without a graph (a mask, a sign, a share of a tie)."""
    return Tensor(array)


def data(a: Any) -> Any:
    """The array behind a Tensor argument (anything else as it is)."""
    return a.data if isinstance(a, Tensor) else a


autograd.differentiable_backward = vjp
