"""Module (minidl/nn/module.py): registration, walking the tree, modes, state dicts, repr."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
import minidl.nn as nn


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.scale = nn.Parameter(np.ones(4, np.float32))
        self.register_buffer("count", md.zeros(1))
        self.note = "plain attribute"

    def forward(self, x):
        return self.fc(x) * self.scale


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = Block()
        self.heads = nn.ModuleList([nn.Linear(4, 2), nn.Linear(4, 1)])
        self.act = nn.ReLU()

    def forward(self, x):
        h = self.act(self.body(x))
        return [head(h) for head in self.heads]


NAMES = [
    "body.scale",
    "body.fc.weight",
    "body.fc.bias",
    "heads.0.weight",
    "heads.0.bias",
    "heads.1.weight",
    "heads.1.bias",
]


def test_named_parameters_walk_the_tree_in_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == NAMES
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert net.num_parameters() == 4 + 12 + 4 + 8 + 2 + 4 + 1
    assert [n for n, _ in net.named_buffers()] == ["body.count"]


def test_children_and_modules():
    net = Net()
    assert [n for n, _ in net.named_children()] == ["body", "heads", "act"]
    assert list(net.children())[0] is net.body
    assert [n for n, _ in net.named_modules()] == [
        "",
        "body",
        "body.fc",
        "heads",
        "heads.0",
        "heads.1",
        "act",
    ]


def test_train_and_eval_reach_every_submodule():
    net = Net()
    assert net.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(3, 3)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias"]
    tied = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    tied[1].weight = tied[0].weight
    assert len(list(tied.parameters())) == 3
    assert list(tied.state_dict()) == ["0.weight", "0.bias", "1.bias"]


def test_assignment_registers_and_replaces():
    block = Block()
    block.fc = nn.Linear(3, 4, bias=False)
    assert [n for n, _ in block.named_parameters()] == ["scale", "fc.weight"]
    block.scale = None  # a parameter removed by assigning a non-parameter
    assert [n for n, _ in block.named_parameters()] == ["fc.weight"] and block.scale is None
    block.count = md.ones(1)  # a buffer stays a buffer
    assert block.state_dict()["count"].tolist() == [1.0]
    assert block.note == "plain attribute" and "note" not in block.state_dict()
    with pytest.raises(AttributeError, match="Block has no attribute 'missing'"):
        _ = block.missing


def test_forgetting_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self) -> None:
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"Broken: call super\(\).__init__\(\) first"):
        Broken()


def test_state_dict_is_a_snapshot_and_round_trips():
    md.manual_seed(0)
    a = Net()
    state = a.state_dict()
    assert list(state) == [*NAMES, "body.count"]
    state["body.scale"][:] = 5.0  # a copy: the model is unchanged
    assert a.body.scale.numpy().tolist() == [1.0] * 4
    md.manual_seed(1)
    b = Net()
    assert b.load_state_dict(a.state_dict()) == ([], [])
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)
    weight = b.body.fc.weight
    b.load_state_dict(a.state_dict())
    assert b.body.fc.weight is weight  # loaded in place: optimizers keep their references


def test_load_state_dict_rejects_missing_and_unexpected_keys():
    net = Net()
    state = net.state_dict()
    del state["heads.1.bias"]
    state["heads.2.weight"] = np.zeros((1, 4))
    with pytest.raises(
        ValueError,
        match=r"missing keys \['heads.1.bias'\], unexpected keys \['heads.2.weight'\]",
    ):
        net.load_state_dict(state)
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert missing == ["heads.1.bias"] and unexpected == ["heads.2.weight"]


def test_load_state_dict_rejects_wrong_shapes():
    net = Net()
    state = net.state_dict()
    state["body.fc.weight"] = np.zeros((4, 5), np.float32)
    with pytest.raises(
        ValueError,
        match=r"body.fc.weight has shape \(4, 3\) in the model but \(4, 5\) in the state",
    ):
        net.load_state_dict(state)


def test_to_float64_and_zero_grad():
    net = Net()
    net.double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    net(md.tensor(np.ones((2, 3))))[0].sum().backward()
    assert net.heads[0].weight.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_repr_nests_children():
    assert repr(Net()) == (
        "Net(\n"
        "  (body): Block(\n"
        "    (fc): Linear(in_features=3, out_features=4, bias=True)\n"
        "  )\n"
        "  (heads): ModuleList(\n"
        "    (0): Linear(in_features=4, out_features=2, bias=True)\n"
        "    (1): Linear(in_features=4, out_features=1, bias=True)\n"
        "  )\n"
        "  (act): ReLU()\n"
        ")"
    )
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"
    assert repr(nn.Parameter(np.zeros(1, np.float32))).startswith("Parameter containing:\ntensor(")


def test_a_module_without_forward_says_so():
    with pytest.raises(TypeError, match="Module defines no forward"):
        nn.Module()(md.ones(1))
