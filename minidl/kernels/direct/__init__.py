"""The direct 3x3 convolution for few-channel inputs: reference (NumPy) and cpu (Numba)."""
