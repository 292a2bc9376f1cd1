"""Solutions of lesson 07's exercises (try them first)."""

from __future__ import annotations


def my_gram(f):
    N, C, H, W = f.shape
    flat = f.reshape(N, C, H * W)  # (N, C, M): one row per channel
    return flat @ flat.transpose(0, 2, 1) / (C * H * W)  # (N, C, C)


def my_two_loop(g, pairs, h0):
    q = -g  # the direction is -H g: run the recursion on -g
    rhos = [1.0 / (y @ s) for s, y in pairs]
    alphas = []
    for (s, y), rho in zip(reversed(pairs), reversed(rhos)):  # newest first
        a = rho * (s @ q)
        q = q - a * y
        alphas.append(a)
    r = h0 * q  # the initial estimate H0 = h0 I
    for (s, y), rho, a in zip(pairs, rhos, reversed(alphas)):  # oldest first
        b = rho * (y @ r)
        r = r + (a - b) * s
    return r
