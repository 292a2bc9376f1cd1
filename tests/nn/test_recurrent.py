"""RNN, LSTM and GRU: backpropagation through time checked by finite differences (PyTorch's
own ModuleInfo samples compare values, gradients and state-dict names in tests/conformance)."""

from __future__ import annotations

import pytest

import minidl as md
import minidl.nn as nn


@pytest.mark.parametrize("layer", ["RNN", "LSTM", "GRU"])
def test_gradcheck_through_time_two_layers_bidirectional(layer):
    md.manual_seed(0)
    net = getattr(nn, layer)(3, 2, num_layers=2, bidirectional=True, batch_first=True)
    net.to(md.float64)
    x = md.randn(2, 4, 3, dtype=md.float64, requires_grad=True)

    def loss(x, *weights):
        out, state = net(x)
        h = state[0] if layer == "LSTM" else state
        return (out * out).sum() + (h * h).sum()

    md.gradcheck(loss, [x, *net.parameters()])


def test_lstm_projection_shapes_and_errors():
    net = nn.LSTM(3, 4, proj_size=2)
    out, (h, c) = net(md.randn(5, 1, 3))
    assert out.shape == (5, 1, 2) and h.shape == (1, 1, 2) and c.shape == (1, 1, 4)
    with pytest.raises(ValueError, match="GRU: proj_size is for LSTM only"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match=r"LSTM: expected input \(L, N, 3\)"):
        net(md.randn(5, 1, 4))
