"""Winograd F(2x2, 3x3) fused: the whole convolution of few-channel layers in one Numba kernel."""
