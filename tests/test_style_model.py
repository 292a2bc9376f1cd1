"""Style-transfer feature networks (random filters, VGG .npz loader), objective and loop."""

from __future__ import annotations

import json

import numpy as np
import pytest

import minidl as md
from minidl.models import StyleObjective, load_vgg_npz, random_feature_net, stylize


def _vgg_arrays(rng, widths=((8, 8), (16,)), k=3):
    """conv1_1, conv1_2, conv2_1 ... weights and biases in the documented key layout."""
    arrays, C_in = {}, 3
    for b, block in enumerate(widths, start=1):
        for i, C_out in enumerate(block, start=1):
            arrays[f"conv{b}_{i}.weight"] = rng.standard_normal((C_out, C_in, k, k)).astype(
                np.float32
            ) * np.float32(np.sqrt(2 / (C_in * k * k)))
            arrays[f"conv{b}_{i}.bias"] = rng.standard_normal(C_out).astype(np.float32) * 0.1
            C_in = C_out
    return arrays


def _save(tmp_path, arrays, name="vgg.npz"):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def test_building_a_network_leaves_the_library_generator_alone():
    md.manual_seed(0)
    expected = md.rand(3).numpy()
    md.manual_seed(0)
    random_feature_net()
    np.testing.assert_array_equal(md.rand(3).numpy(), expected)


def test_random_net_layers_shapes_and_frozen_weights():
    net = random_feature_net((4, 8, 16), seed=3)
    out = net(md.tensor(np.random.default_rng(0).random((2, 3, 16, 16), dtype=np.float32)))
    assert net.names == ["conv1_1", "conv2_1", "conv3_1"]
    assert {k: v.shape for k, v in out.items()} == {
        "conv1_1": (2, 4, 16, 16),
        "conv2_1": (2, 8, 8, 8),
        "conv3_1": (2, 16, 4, 4),
    }
    assert not any(p.requires_grad for p in net.parameters())
    same = random_feature_net((4, 8, 16), seed=3)
    np.testing.assert_array_equal(net.convs[1].weight.numpy(), same.convs[1].weight.numpy())


def test_forward_returns_only_the_layers_asked_for():
    net = random_feature_net((4, 8, 16))
    out = net(md.rand(1, 3, 8, 8), ["conv2_1"])
    assert list(out) == ["conv2_1"]
    with pytest.raises(ValueError, match=r"unknown layers \['relu9_9'\]"):
        net(md.rand(1, 3, 8, 8), ["relu9_9"])
    with pytest.raises(ValueError, match=r"expected images \(N, 3, H, W\)"):
        net(md.rand(1, 1, 8, 8))


def test_npz_network_matches_torch(tmp_path, torch):
    arrays = _vgg_arrays(np.random.default_rng(0))
    mean, std = np.array([0.5, 0.4, 0.3], np.float32), np.array([0.2, 0.25, 0.3], np.float32)
    net = load_vgg_npz(_save(tmp_path, {**arrays, "mean": mean, "std": std}), pool="max")
    assert net.names == ["conv1_1", "conv1_2", "conv2_1"]
    x = np.random.default_rng(1).random((2, 3, 10, 12), dtype=np.float32)
    out = net(md.tensor(x))

    tf = torch.nn.functional
    t = (torch.from_numpy(x) - torch.from_numpy(mean).view(1, 3, 1, 1)) / torch.from_numpy(
        std
    ).view(1, 3, 1, 1)
    for name in net.names:
        if name == "conv2_1":
            t = tf.max_pool2d(t, 2)
        w, b = (torch.from_numpy(arrays[f"{name}.{p}"]) for p in ("weight", "bias"))
        t = tf.relu(tf.conv2d(t, w, b, padding=1))
        np.testing.assert_allclose(out[name].numpy(), t.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda a: a.pop("conv1_2.bias"), "missing key conv1_2.bias"),
        (lambda a: a.pop("conv1_2.weight"), "missing key conv1_2.weight"),
        (lambda a: a.update({"conv1_4.weight": a["conv1_2.weight"],
                             "conv1_4.bias": a["conv1_2.bias"]}),
         "missing key conv1_3.weight"),  # fmt: skip
        (lambda a: a.update({"conv1_2.weight": np.zeros((8, 5, 3, 3), np.float32)}),
         r"conv1_2.weight \(8, 5, 3, 3\) takes 5 input channels, but the layer before it gives 8"),
        (lambda a: a.update({"conv1_1.weight": np.zeros((8, 1, 3, 3), np.float32)}),
         "takes 1 input channels, but the layer before it gives 3"),
        (lambda a: a.update({"conv2_1.bias": np.zeros(3, np.float32)}),
         r"conv2_1.bias must have shape \(16,\)"),
        (lambda a: a.update({"conv2_1.weight": np.zeros((16, 8), np.float32)}),
         r"conv2_1.weight must be a float array \(C_out, C_in, KH, KW\)"),
        (lambda a: a.update({"conv2_1.weight": np.zeros((16, 8, 2, 2), np.float32)}),
         r"with odd KH and KW, got float32 \(16, 8, 2, 2\)"),
        (lambda a: a.update({"features.0.weight": np.zeros(1)}),
         "unexpected key 'features.0.weight'"),
        (lambda a: a.update({"mean": np.zeros(4)}), r"mean must have shape \(3,\)"),
        (lambda a: [a.pop(k) for k in list(a) if k.startswith("conv1")],
         "block 1 has no layers"),
    ],
)  # fmt: skip
def test_npz_loader_errors_say_what_is_wrong(tmp_path, edit, message):
    arrays = _vgg_arrays(np.random.default_rng(0))
    edit(arrays)
    with pytest.raises(ValueError, match=message):
        load_vgg_npz(_save(tmp_path, arrays))


def test_npz_loader_refuses_an_empty_file_and_pickles(tmp_path):
    with pytest.raises(ValueError, match="no conv"):
        load_vgg_npz(_save(tmp_path, {"mean": np.zeros(3)}))
    with pytest.raises(ValueError, match="pickle"):
        load_vgg_npz(_save(tmp_path, {"conv1_1.weight": np.array([{"a": 1}], dtype=object)}))


def test_objective_gradcheck_through_the_network():
    net = random_feature_net((3, 4), seed=0).double()
    rng = np.random.default_rng(0)
    content, style = rng.random((3, 6, 6)), rng.random((3, 8, 8))
    objective = StyleObjective(net, content, style, beta=10.0, tv_weight=0.1)
    x = md.tensor(rng.random((1, 3, 6, 6)), requires_grad=True)
    assert md.gradcheck(lambda x: objective(x)["total"], [x])


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_a_few_steps_of_style_transfer_lower_the_loss(optimizer):
    net = random_feature_net((8, 16, 32), seed=0)
    rng = np.random.default_rng(0)
    content = rng.random((3, 24, 24), dtype=np.float32)
    style = np.tile(np.linspace(0, 1, 24, dtype=np.float32), (3, 24, 1))  # stripes
    objective = StyleObjective(net, content, style, beta=1e4)
    image, history = stylize(objective, steps=15, optimizer=optimizer)
    assert image.shape == (1, 3, 24, 24) and 0 <= image.numpy().min() <= image.numpy().max() <= 1
    assert history[0]["content"] == 0  # it starts from the content image
    assert history[-1]["total"] < 0.5 * history[0]["total"]
    assert history[-1]["style"] < 0.5 * history[0]["style"]


@pytest.mark.slow
def test_demo_quick_writes_pictures_and_metrics(tmp_path):
    from minidl.demos.style import main

    assert main(["--quick", "--out", str(tmp_path), "--metrics", str(tmp_path / "m.json")]) == 0
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["style_loss_reduction"] >= 10
    assert metrics["style_loss_reduction"] == pytest.approx(
        metrics["style_loss_initial"] / metrics["style_loss_final"]
    )
    assert {"content_loss_final", "seconds"} <= set(metrics)
    assert (tmp_path / "style_transfer.png").exists() and (tmp_path / "losses.png").exists()
