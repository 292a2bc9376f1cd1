"""Matplotlib helpers for the lessons and demos, one module per topic."""
