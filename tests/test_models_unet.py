"""UNet: the paper's shape arithmetic, valid-size errors, and real forward passes."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
import minidl.nn.functional as F
from minidl import optim
from minidl.models import UNet
from minidl.models.unet import output_size, shape_walk, valid_input_size


def test_paper_shape_walk_572_to_388():
    # The numbers of the paper's Fig. 1, from the shape arithmetic (no 572² forward needed).
    walk = {name: (c, s) for name, c, s in UNet(base=1).shape_walk(572)}
    assert walk["down1"] == (1, 568) and walk["pool1"] == (1, 284)
    assert walk["bottom"] == (16, 28) and walk["up4"] == (8, 52)
    assert walk["up1"] == (1, 388) and walk["output"] == (2, 388)
    assert UNet.output_size(572) == 388 and UNet.output_size(188) == 4


def test_paper_channels_with_the_default_base():
    walk = {name: c for name, c, _ in shape_walk(572)}  # base 64, without building it
    assert [walk[f"down{k}"] for k in (1, 2, 3, 4)] == [64, 128, 256, 512]
    assert walk["bottom"] == 1024 and walk["up1"] == 64


def test_valid_sizes_for_depth_4_are_12_mod_16_from_188():
    valid = [n for n in range(100, 400) if valid_input_size(n) == n]
    assert valid == list(range(188, 400, 16))
    assert valid_input_size(189) == 204
    assert UNet.valid_input_size(570) == 572


def test_invalid_size_error_names_the_nearest_valid_sizes():
    with pytest.raises(ValueError, match="570 .* nearest valid sizes are 556 or 572"):
        output_size(570)
    with pytest.raises(ValueError, match="divisible by 2\\^depth = 16.* 96 or 112"):
        output_size(100, padding="same")
    model = UNet(base=2, depth=2)
    with pytest.raises(ValueError, match="input size 46 .* nearest valid sizes are 44 or 48"):
        model(md.zeros(1, 1, 44, 46))
    with pytest.raises(ValueError, match="nearest valid size is 44 "):
        model(md.zeros(1, 1, 30, 44))


def test_instance_size_helpers_use_its_own_depth():
    model = UNet(base=2, depth=2)
    assert model.valid_input_size(30) == 44 and model.output_size(44) == 4
    assert UNet.valid_input_size(30) == 188  # the class answers for the default depth 4


def test_forward_shapes_valid_and_same():
    md.manual_seed(0)
    model = UNet(base=2)
    with md.no_grad():
        y = model(md.rand(1, 1, 252, 252))
    assert y.shape == (1, 2, 68, 68)
    same = UNet(in_channels=3, num_classes=4, base=2, depth=3, padding="same", batchnorm=True)
    assert same(md.rand(2, 3, 40, 48)).shape == (2, 4, 40, 48)


def test_paper_initialisation_and_zero_biases():
    md.manual_seed(0)
    model = UNet(base=16)
    w = model.down[2][2].weight.numpy()  # second conv of level 3: fan-in 64·9
    assert w.std() == pytest.approx(np.sqrt(2 / (64 * 9)), rel=0.05)
    up = model.up[0].weight.numpy()  # 256 -> 128 up-conv: each output sees 256 inputs
    assert up.std() == pytest.approx(np.sqrt(2 / 256), rel=0.05)
    assert all(float(abs(m.bias.numpy()).max()) == 0 for m in (model.head, model.up[0]))


def test_gradients_reach_every_parameter():
    md.manual_seed(0)
    model = UNet(base=2, depth=2)
    x = md.rand(2, 1, 44, 44)
    model(x).sum().backward()
    assert all(p.grad is not None and np.isfinite(p.grad).all() for p in model.parameters())


def test_a_small_unet_overfits_one_slice():
    md.manual_seed(0)
    rng = np.random.default_rng(0)
    image = rng.random((1, 1, 32, 32)).astype(np.float32)
    mask = (image[:, 0] > 0.5).astype(np.int64)  # learnable pixel by pixel
    model = UNet(base=4, depth=2, padding="same")
    opt = optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(150):
        opt.zero_grad()
        loss = F.cross_entropy(model(md.tensor(image)), mask)
        loss.backward()
        opt.step()
    assert loss.item() < 0.1
