"""minidl: a from-scratch, educational deep-learning library."""

__version__ = "0.1.0"
