"""DataLoader / ArrayDataset: batching, dtypes, seeded shuffling per epoch, errors."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
from minidl.data import ArrayDataset, DataLoader, PKSampler, RandomFlip


def _data(n: int = 10) -> ArrayDataset:
    images = np.arange(n * 2 * 3, dtype=np.float32).reshape(n, 1, 2, 3)
    labels = np.arange(n, dtype=np.int32)
    return ArrayDataset(images, labels)


def _labels(loader: DataLoader) -> list[int]:
    return [int(v) for _, y in loader for v in y.data]


def test_batches_are_stacked_tensors_with_dtypes():
    batches = list(DataLoader(_data(), batch_size=4))
    assert [b[0].shape for b in batches] == [(4, 1, 2, 3), (4, 1, 2, 3), (2, 1, 2, 3)]
    x, y = batches[0]
    assert isinstance(x, md.Tensor) and x.dtype == np.float32
    assert y.dtype == np.int64  # int32 labels become int64
    np.testing.assert_array_equal(y.data, [0, 1, 2, 3])


@pytest.mark.parametrize(("drop_last", "expected"), [(False, 3), (True, 2)])
def test_len_is_the_number_of_batches(drop_last, expected):
    loader = DataLoader(_data(10), batch_size=4, drop_last=drop_last)
    assert len(loader) == expected == len(list(loader))
    assert all(len(y.data) == 4 for _, y in loader) or not drop_last


def test_shuffle_is_seeded_and_changes_per_epoch():
    a = DataLoader(_data(), batch_size=3, shuffle=True, seed=7)
    b = DataLoader(_data(), batch_size=3, shuffle=True, seed=7)
    first, second = _labels(a), _labels(a)
    assert first == _labels(b) and second == _labels(b)
    assert sorted(first) == list(range(10)) and first != second
    assert _labels(DataLoader(_data(), batch_size=3, shuffle=False)) == list(range(10))


def test_set_epoch_and_state_dict_replay_an_epoch():
    a = DataLoader(_data(), batch_size=3, shuffle=True, seed=1)
    _labels(a)
    third = (a.state_dict(), _labels(a))
    b = DataLoader(_data(), batch_size=3, shuffle=True, seed=99)
    b.load_state_dict(third[0])
    assert _labels(b) == third[1]
    b.set_epoch(1)
    assert _labels(b) == third[1]


def test_seed_none_follows_manual_seed():
    md.manual_seed(3)
    a = _labels(DataLoader(_data(), shuffle=True))
    md.manual_seed(3)
    assert _labels(DataLoader(_data(), shuffle=True)) == a


def test_transform_gets_the_loader_rng_and_moves_targets():
    images = np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4)
    masks = images[:, 0].astype(np.int64)
    run = [
        [
            (x.data.copy(), m.data.copy())
            for x, m in DataLoader(
                ArrayDataset(images, masks), batch_size=2, seed=5, transform=RandomFlip()
            )
        ]
        for _ in range(2)
    ]
    for (x1, m1), (x2, m2) in zip(run[0], run[1], strict=True):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(x1[:, 0], m1)  # the mask moved with the image
        np.testing.assert_array_equal(m1, m2)


def test_batch_sampler():
    labels = np.repeat(np.arange(5), 4)
    ds = ArrayDataset(np.zeros((20, 1, 2, 2), np.float32), labels)
    loader = DataLoader(ds, batch_sampler=PKSampler(labels, p=3, k=2, num_batches=4, seed=0))
    batches = [y.data for _, y in loader]
    assert len(loader) == 4 == len(batches)
    for y in batches:
        assert len(y) == 6 and len(set(y.tolist())) == 3
    assert [y.tolist() for _, y in loader] != [y.tolist() for y in batches]  # new epoch


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"device": "tpu"}, "device"),
        ({"transform": 3}, "transform"),
        ({"seed": "x"}, "seed"),
        ({"shuffle": True, "batch_sampler": [[0]]}, "batch_sampler"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(_data(), **kwargs)


def test_bad_datasets():
    with pytest.raises(ValueError, match="empty"):
        DataLoader(ArrayDataset(np.zeros((0, 3))))
    with pytest.raises(ValueError, match="__getitem__"):
        DataLoader(42)
    with pytest.raises(ValueError, match="first axis"):
        ArrayDataset(np.zeros((3, 2)), np.zeros(4))
    ragged = [(np.zeros((2, 2)),), (np.zeros((3, 3)),)]
    with pytest.raises(ValueError, match="different shapes"):
        list(DataLoader(ragged, batch_size=2))
