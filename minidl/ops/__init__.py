"""Differentiable ops: argument checks, forward and backward, as `Function` subclasses.

Each module holds one family; this namespace gathers their public functions.
"""

from .elementwise import (
    abs,
    add,
    clamp,
    div,
    exp,
    log,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    relu,
    sigmoid,
    sqrt,
    sub,
    tanh,
    where,
)
from .linalg import matmul
from .loss import binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss
from .pad import pad
from .reduce import argmax, max, mean, min, sum
from .shape import (
    astype,
    broadcast_to,
    concat,
    flatten,
    getitem,
    permute,
    reshape,
    squeeze,
    stack,
    to_device,
    transpose,
    unsqueeze,
)
from .softmax import log_softmax, softmax

__all__ = [
    "abs",
    "add",
    "argmax",
    "astype",
    "binary_cross_entropy_with_logits",
    "broadcast_to",
    "clamp",
    "concat",
    "cross_entropy",
    "div",
    "exp",
    "flatten",
    "getitem",
    "log",
    "log_softmax",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mse_loss",
    "mul",
    "neg",
    "nll_loss",
    "pad",
    "permute",
    "pow",
    "relu",
    "reshape",
    "sigmoid",
    "softmax",
    "sqrt",
    "squeeze",
    "stack",
    "sub",
    "sum",
    "tanh",
    "to_device",
    "transpose",
    "unsqueeze",
    "where",
]
