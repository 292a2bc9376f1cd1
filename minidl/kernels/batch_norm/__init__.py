"""Batch normalisation's statistics, normalisation and backward as kernels (reference, cpu)."""
