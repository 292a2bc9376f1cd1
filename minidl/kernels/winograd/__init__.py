"""Winograd F(2x2, 3x3): 3x3 stride-1 convolution with 2.25x fewer multiplications."""
