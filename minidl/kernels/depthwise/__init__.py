"""Depthwise convolution (groups == C_in): reference (NumPy) and cpu (Numba), no ``cols``."""
