"""Pairs and P × K batches for metric learning (Siamese networks, triplet loss).

- `sample_pairs`: balanced same/different index pairs, for verification and Siamese training.
- `PairDataset`: those pairs as a `Dataset` of ``(x1, x2, same)``.
- `PKSampler`: batches of P identities × K views each (Hermans et al. 2017, "In Defense of
  the Triplet Loss"), so every anchor in a batch has positives and negatives to mine.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def _groups(labels: np.ndarray) -> dict[int, np.ndarray]:
    """Indices of each identity's samples: {label: indices}."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            f"expected integer labels of shape (N,), got {labels.dtype} {labels.shape}"
        )
    order = np.argsort(labels, kind="stable")
    ids, starts = np.unique(labels[order], return_index=True)
    return dict(zip(ids.tolist(), np.split(order, starts[1:]), strict=True))


def sample_pairs(
    labels: np.ndarray, num_pairs: int, seed: int | np.random.Generator = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Balanced pairs: ``num_pairs // 2`` of the same identity, the rest of two different ones.

    Same pairs pick an identity uniformly among those with at least two samples, then two
    different samples of it; different pairs pick two different identities, then one sample
    of each. Deterministic given ``seed`` (an int or a Generator).

    Shapes: labels (N,) ints; returns first (P,), second (P,) int64 indices into labels and
    same (P,) int64 (1 = same identity), same pairs first.
    """
    groups = _groups(labels)
    rng = np.random.default_rng(seed)
    n_same = num_pairs // 2
    multi = [g for g in groups.values() if len(g) >= 2]
    if n_same and not multi:
        raise ValueError(
            "sample_pairs: same-identity pairs need an identity with at least two samples; "
            "every identity has one"
        )
    if len(groups) < 2 and num_pairs - n_same:
        raise ValueError(f"sample_pairs: different pairs need two identities, got {len(groups)}")
    first, second = [], []
    for g in (multi[k] for k in rng.integers(len(multi), size=n_same)):
        i, j = rng.choice(len(g), size=2, replace=False)
        first.append(g[i])
        second.append(g[j])
    values = list(groups.values())
    for _ in range(num_pairs - n_same):
        a, b = rng.choice(len(values), size=2, replace=False)
        first.append(rng.choice(values[a]))
        second.append(rng.choice(values[b]))
    same = np.r_[np.ones(n_same, np.int64), np.zeros(num_pairs - n_same, np.int64)]
    return np.array(first, np.int64), np.array(second, np.int64), same


class PairDataset:
    """Fixed balanced pairs of ``images`` as a `Dataset`: ``ds[i] = (x1, x2, same)``.

    Shapes: images (N, C, H, W), labels (N,); a sample is (C, H, W), (C, H, W), () int64.
    """

    def __init__(
        self, images: np.ndarray, labels: np.ndarray, num_pairs: int, seed: int = 0
    ) -> None:
        if len(images) != len(labels):
            raise ValueError(f"PairDataset: {len(images)} images but {len(labels)} labels")
        self.images = images
        self.first, self.second, self.same = sample_pairs(labels, num_pairs, seed)

    def __len__(self) -> int:
        return len(self.same)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.images[self.first[index]], self.images[self.second[index]], self.same[index]


class PKSampler:
    """Batches of ``p`` different identities with ``k`` samples each, for triplet mining.

    Only identities with at least two samples take part (an anchor needs a positive). An
    identity with fewer than ``k`` samples is drawn with replacement, so a batch always has
    p · k indices, identity by identity. Iterate once per epoch; the batches of epoch e depend
    only on ``(seed, e)`` (`set_epoch`, called by `DataLoader`).

    Use: ``DataLoader(dataset, batch_sampler=PKSampler(labels, p=8, k=4, seed=0))``.
    ``len()`` = ``num_batches`` (default: about one pass over the eligible samples).
    """

    def __init__(
        self,
        labels: np.ndarray,
        p: int,
        k: int,
        num_batches: int | None = None,
        seed: int = 0,
    ) -> None:
        groups = {i: g for i, g in _groups(labels).items() if len(g) >= 2}
        if p < 2 or k < 2:
            raise ValueError(f"PKSampler: expected p >= 2 and k >= 2, got p={p}, k={k}")
        if len(groups) < p:
            raise ValueError(
                f"PKSampler: p={p} identities per batch, but only {len(groups)} identities "
                f"have at least two samples"
            )
        self.groups = list(groups.values())
        self.p, self.k, self.seed, self.epoch = p, k, seed, 0
        eligible = sum(len(g) for g in self.groups)
        self.num_batches = num_batches if num_batches is not None else max(eligible // (p * k), 1)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self) -> Iterator[np.ndarray]:
        rng = np.random.default_rng([self.seed, self.epoch])
        self.epoch += 1
        for _ in range(self.num_batches):
            chosen = rng.choice(len(self.groups), size=self.p, replace=False)
            batch = [
                rng.choice(self.groups[c], size=self.k, replace=len(self.groups[c]) < self.k)
                for c in chosen
            ]
            yield np.concatenate(batch)
