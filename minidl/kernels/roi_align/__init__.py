"""RoIAlign kernels: ``reference`` (NumPy/CuPy), ``cpu`` (Numba), ``gpu`` (numba-cuda)."""
