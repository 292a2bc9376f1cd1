"""Module hooks, as in PyTorch: look inside a layer while it trains.

    h = layer.register_forward_hook(lambda m, args, out: print(m, out.shape))
    layer.register_forward_pre_hook(lambda m, args: ...)           # before forward
    layer.register_full_backward_hook(lambda m, grad_in, grad_out: ...)
    h.remove()

A forward pre-hook may return new positional arguments, a forward hook a new output, a
backward hook a new ``grad_input``. The full backward hook is built as PyTorch builds it: the
module's tensor inputs and outputs pass through two identity ops (`_Outputs`, `_Inputs`) whose
backwards catch ``grad_output`` and then ``grad_input``; the hook runs when both are known.
"""

from __future__ import annotations

from typing import Any

from ..autograd import Function
from ..tensor import Tensor


class _Call:
    """One call of a hooked module: what the two identity ops share."""

    def __init__(self, module: Any, hooks: list, inputs_need_grad: bool, n_inputs: int) -> None:
        self.module, self.hooks = module, hooks
        self.inputs_need_grad, self.n_inputs = inputs_need_grad, n_inputs
        self.grad_output: tuple = ()

    def run(self, grad_input: tuple) -> tuple:
        for hook in self.hooks:
            out = hook(self.module, grad_input, self.grad_output)
            if out is None:
                continue
            out = out if isinstance(out, tuple) else (out,)
            if len(out) != len(grad_input):
                raise RuntimeError(
                    f"register_full_backward_hook: the hook returned {len(out)} gradients for "
                    f"{len(grad_input)} inputs"
                )
            grad_input = tuple(g if g is None or isinstance(g, Tensor) else Tensor(g) for g in out)
        return grad_input


def _tensors(arrays: tuple) -> tuple:
    return tuple(None if a is None else Tensor(a) for a in arrays)


class _Outputs(Function):
    @staticmethod
    def forward(ctx, call, *arrays):
        ctx.call = call
        return arrays

    @staticmethod
    def backward(ctx, *grads):
        call = ctx.call
        call.grad_output = _tensors(grads)
        if not call.inputs_need_grad:  # no _Inputs backward will come: run the hook here
            call.run((None,) * call.n_inputs)
        return (None, *grads)

    @staticmethod
    def vjp(ctx, *grads):
        # as backward, with the recorded gradients themselves (create_graph=True)
        call = ctx.call
        call.grad_output = tuple(grads)
        if not call.inputs_need_grad:
            call.run((None,) * call.n_inputs)
        return (None, *grads)


class _Inputs(Function):
    @staticmethod
    def forward(ctx, call, *arrays):
        ctx.call = call
        return arrays

    @staticmethod
    def backward(ctx, *grads):
        grad_input = ctx.call.run(_tensors(grads))
        return (None, *(None if g is None else g.data for g in grad_input))

    @staticmethod
    def vjp(ctx, *grads):
        return (None, *ctx.call.run(tuple(grads)))


def wrap_inputs(module: Any, hooks: list, args: tuple) -> tuple[tuple, _Call]:
    """``args`` with their tensors passed through `_Inputs`; the call record for the outputs."""
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    need = any(args[i].requires_grad for i in positions)
    call = _Call(module, hooks, need, len(positions))
    if need:
        through = _Inputs.apply(call, *(args[i] for i in positions))
        through = through if isinstance(through, tuple) else (through,)
        args = list(args)
        for i, t in zip(positions, through):
            args[i] = t
        args = tuple(args)
    return args, call


def wrap_outputs(call: _Call, output: Any) -> Any:
    """``output`` (a tensor or a tuple of them) passed through `_Outputs`."""
    single = isinstance(output, Tensor)
    outs = (output,) if single else output
    if not isinstance(outs, tuple) or not any(
        isinstance(o, Tensor) and o.requires_grad for o in outs
    ):
        return output
    positions = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
    through = _Outputs.apply(call, *(outs[i] for i in positions))
    through = through if isinstance(through, tuple) else (through,)
    outs = list(outs)
    for i, t in zip(positions, through):
        outs[i] = t
    return outs[0] if single else tuple(outs)
