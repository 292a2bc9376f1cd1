"""The ``minidl demo NAME`` programs: each trains a model, then writes pictures and metrics.

Every demo module has ``main(argv) -> int`` and shares the options of `common.parse_args`.
"""
