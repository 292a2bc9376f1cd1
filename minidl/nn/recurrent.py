"""Recurrent layers: the RNN, LSTM and GRU cells, and the multi-layer (bidirectional) layers
that run them over a sequence. Composed from Linear-style products and pointwise ops, one
time step per Python iteration, so the gradient is backpropagation through time.

PyTorch's parameter names, shapes, gate order and initialisation, so state dicts carry
over: ``weight_ih`` (G·H, I), ``weight_hh`` (G·H, H), ``bias_ih``, ``bias_hh`` (G·H,), with
G = 1 (RNN), 4 (LSTM: input, forget, cell, output) or 3 (GRU: reset, update, new), all
U(-1/sqrt(H), 1/sqrt(H)).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import ops, random
from ..creation import zeros
from ..tensor import Tensor
from .module import Module, Parameter

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _uniform(shape: tuple[int, ...], bound: float, dtype: Any) -> Parameter:
    values = random.generator().uniform(-bound, bound, shape)
    return Parameter(values.astype(np.dtype(np.float32 if dtype is None else dtype)))


def _affine(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    y = x @ w.T
    return y if b is None else y + b


def rnn_step(
    mode: str,
    x: Tensor,
    state: Any,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
    w_hr: Tensor | None = None,
) -> Any:
    """One time step. x (N, I); state h (N, H), or (h, c) for the LSTM, whose h is projected
    by ``w_hr`` (P, H) when given (``proj_size``)."""
    if mode == "LSTM":
        h, c = state
        gates = _affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh)
        i, f, g, o = gates.chunk(4, 1)
        c = i.sigmoid() * g.tanh() + f.sigmoid() * c
        h = o.sigmoid() * c.tanh()
        return (h if w_hr is None else h @ w_hr.T), c
    if mode == "GRU":
        h = state
        r_i, z_i, n_i = _affine(x, w_ih, b_ih).chunk(3, 1)
        r_h, z_h, n_h = _affine(h, w_hh, b_hh).chunk(3, 1)
        r, z = (r_i + r_h).sigmoid(), (z_i + z_h).sigmoid()
        n = (n_i + r * n_h).tanh()
        return (1 - z) * n + z * h
    pre = _affine(x, w_ih, b_ih) + _affine(state, w_hh, b_hh)
    return pre.tanh() if mode == "RNN_TANH" else pre.relu()


class _Cell(Module):
    mode = "RNN_TANH"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        G, k = GATES[self.mode], 1 / math.sqrt(hidden_size)
        self.weight_ih = _uniform((G * hidden_size, input_size), k, dtype)
        self.weight_hh = _uniform((G * hidden_size, hidden_size), k, dtype)
        self.bias_ih = _uniform((G * hidden_size,), k, dtype) if bias else None
        self.bias_hh = _uniform((G * hidden_size,), k, dtype) if bias else None
        if device not in (None, "cpu"):
            self.to(device)

    def _zeros(self, x: Tensor) -> Tensor:
        return zeros((*x.shape[:-1], self.hidden_size), dtype=x.dtype, device=x.device)

    def forward(self, input: Tensor, hx: Any = None) -> Any:
        name = type(self).__name__
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input (N, {self.input_size}) or ({self.input_size},), got "
                f"{input.shape}"
            )
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        if hx is None:
            zeros = self._zeros(x)
            state = (zeros, zeros) if self.mode == "LSTM" else zeros
        else:
            state = (
                tuple(h.unsqueeze(0) for h in hx)
                if self.mode == "LSTM" and unbatched
                else (hx.unsqueeze(0) if unbatched else hx)
            )
        out = rnn_step(
            self.mode, x, state, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh
        )
        if unbatched:
            out = tuple(o.squeeze(0) for o in out) if self.mode == "LSTM" else out.squeeze(0)
        return out

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(_Cell):
    """h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (or relu).  Reference: ``torch.nn.RNNCell``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        # set before Module.__init__, which the parent calls: it decides the gate count
        object.__setattr__(self, "mode", "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU")
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity


class LSTMCell(_Cell):
    """i, f, g, o = σ, σ, tanh, σ of (x W_ihᵀ + b_ih + h W_hhᵀ + b_hh); c' = f c + i g,
    h' = o tanh(c').  ``forward(x, (h, c))`` returns ``(h', c')``.  ``torch.nn.LSTMCell``."""

    mode = "LSTM"


class GRUCell(_Cell):
    """r, z = σ(...), n = tanh(x W_in + b_in + r (h W_hn + b_hn)), h' = (1 - z) n + z h.

    Reference: ``torch.nn.GRUCell``."""

    mode = "GRU"


class _Recurrent(Module):
    mode = "RNN_TANH"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if proj_size and self.mode != "LSTM":
            raise ValueError(f"{name}: proj_size is for LSTM only, got {proj_size}")
        if proj_size >= hidden_size:
            raise ValueError(
                f"{name}: proj_size {proj_size} must be below hidden_size {hidden_size}"
            )
        if not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be in [0, 1], got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        G, k = GATES[self.mode], 1 / math.sqrt(hidden_size)
        D = 2 if bidirectional else 1
        out = proj_size or hidden_size  # what h holds: the projection when there is one
        for layer in range(num_layers):
            size = input_size if layer == 0 else out * D
            for suffix in ("", "_reverse")[:D]:
                setattr(
                    self, f"weight_ih_l{layer}{suffix}", _uniform((G * hidden_size, size), k, dtype)
                )
                setattr(
                    self,
                    f"weight_hh_l{layer}{suffix}",
                    _uniform((G * hidden_size, out), k, dtype),
                )
                if bias:
                    setattr(
                        self, f"bias_ih_l{layer}{suffix}", _uniform((G * hidden_size,), k, dtype)
                    )
                    setattr(
                        self, f"bias_hh_l{layer}{suffix}", _uniform((G * hidden_size,), k, dtype)
                    )
                if proj_size:
                    setattr(
                        self,
                        f"weight_hr_l{layer}{suffix}",
                        _uniform((proj_size, hidden_size), k, dtype),
                    )
        if device not in (None, "cpu"):
            self.to(device)

    def _weights(self, layer: int, suffix: str) -> tuple:
        get = lambda n: getattr(self, f"{n}_l{layer}{suffix}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")

    def forward(self, input: Tensor, hx: Any = None) -> Any:
        name = type(self).__name__
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input (L, N, {self.input_size}) (or batch_first, or "
                f"unbatched (L, {self.input_size})), got {input.shape}"
            )
        unbatched = input.ndim == 2
        x = (
            input.unsqueeze(1)
            if unbatched
            else (input.transpose(0, 1) if self.batch_first else input)
        )
        L, N = x.shape[:2]
        D = 2 if self.bidirectional else 1
        lstm = self.mode == "LSTM"
        if hx is None:
            out_size = self.proj_size or self.hidden_size
            h = zeros((self.num_layers * D, N, out_size), dtype=x.dtype, device=x.device)
            c = zeros((self.num_layers * D, N, self.hidden_size), dtype=x.dtype, device=x.device)
            hx = (h, c) if lstm else h
        elif unbatched:
            hx = tuple(h.unsqueeze(1) for h in hx) if lstm else hx.unsqueeze(1)
        h0 = hx[0] if lstm else hx
        c0 = hx[1] if lstm else None
        finals_h, finals_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(("", "_reverse")[:D]):
                k = layer * D + direction
                state = (h0[k], c0[k]) if lstm else h0[k]
                steps = range(L - 1, -1, -1) if direction else range(L)
                seq = [None] * L
                for t in steps:
                    state = rnn_step(self.mode, x[t], state, *self._weights(layer, suffix))
                    seq[t] = state[0] if lstm else state
                outputs.append(ops.stack(seq, 0))
                finals_h.append(state[0] if lstm else state)
                if lstm:
                    finals_c.append(state[1])
            x = outputs[0] if D == 1 else ops.cat(outputs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                from .functional import dropout

                x = dropout(x, self.dropout)
        out = x.squeeze(1) if unbatched else (x.transpose(0, 1) if self.batch_first else x)
        h_n = ops.stack(finals_h, 0)
        h_n = h_n.squeeze(1) if unbatched else h_n
        if not lstm:
            return out, h_n
        c_n = ops.stack(finals_c, 0)
        return out, (h_n, c_n.squeeze(1) if unbatched else c_n)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(_Recurrent):
    """Elman RNN layers over a sequence.  Reference: ``torch.nn.RNN``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        # set before Module.__init__, which the parent calls: it decides the gate count
        object.__setattr__(self, "mode", "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU")
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            0,
            device,
            dtype,
        )
        self.nonlinearity = nonlinearity


class LSTM(_Recurrent):
    """LSTM layers; ``forward(x, (h0, c0))`` returns ``out, (h_n, c_n)``.  ``torch.nn.LSTM``."""

    mode = "LSTM"


class GRU(_Recurrent):
    """GRU layers.  Reference: ``torch.nn.GRU``."""

    mode = "GRU"
