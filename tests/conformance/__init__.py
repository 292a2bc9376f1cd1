"""PyTorch's own test inputs run through minidl: OpInfo (``op_db``) and ModuleInfo
(``module_db``) samples for every op and layer minidl exports, compared with PyTorch.

    python -m tests.conformance.report [--failures] [--json PATH] [--only SUBSTRING]
    pytest -q tests/conformance -p no:randomly

Files: `convert` (torch values to minidl values), `compare` (tolerances and output
comparison, in one place), `harness` (one sample: forward, backward, classification),
`opinfo` and `moduleinfo` (which rows exist and how they are called), `report` (the table).
Tests: `test_opinfo` and `test_moduleinfo` (one per row: no WRONG or CRASH sample),
`test_pass_rate` (at least 90% of all samples pass), `test_harness` (the verdicts themselves).
"""
