"""Evaluation metrics on plain arrays (NumPy or CuPy), one module per task."""
