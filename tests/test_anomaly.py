"""Anomaly mode points at the op, the shapes and the line where a NaN or an Inf first
appeared, in the forward or the backward, in a script and in a notebook."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import nbformat
import numpy as np
import pytest

import minidl as md
import minidl.nn.functional as F
from minidl.autograd import AnomalyError, detect_anomaly, set_detect_anomaly


def test_off_by_default_and_restored_after_the_block():
    assert not md.is_anomaly_enabled()
    with detect_anomaly():
        assert md.is_anomaly_enabled()
    assert not md.is_anomaly_enabled()
    with set_detect_anomaly(True):
        assert md.autograd.is_anomaly_enabled()
    assert not md.is_anomaly_enabled()


def test_a_forward_nan_names_the_op_shapes_and_this_line():
    x = md.tensor([1.0, -1.0, 4.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        y = md.sqrt(x)  # the line the error must point to
    text = str(caught.value)
    assert "Sqrt forward produced NaN" in text or "forward produced NaN" in text
    assert "(3,)" in text and "test_anomaly.py:" in text and "y = md.sqrt(x)" in text
    y = md.sqrt(x)  # off again: no error, NaN as NumPy gives it
    assert np.isnan(y.numpy()[1])


def test_inputs_that_already_hold_inf_do_not_blame_the_op():
    mask = md.tensor([0.0, -np.inf, 0.0])
    scores = md.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with detect_anomaly():
        out = F.softmax(scores + mask, dim=0)  # -inf masks are fine: the add passes them on
    assert out.numpy()[1] == 0.0


def test_a_backward_nan_names_the_backward_and_where_its_forward_was_created():
    x = md.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        y = md.sqrt(x)  # finite forward (sqrt(0) = 0); backward 1 / (2 sqrt(0)) = Inf
        with pytest.raises(AnomalyError) as caught:
            y.sum().backward()
    text = str(caught.value)
    assert "Backward produced Inf in the gradient of its input 0" in text
    assert "y = md.sqrt(x)" in text and "test_anomaly.py:" in text


def test_a_conv_net_nan_is_traced_to_the_op_not_to_the_layers_before_it():
    net = md.nn.Sequential(md.nn.Conv2d(1, 2, 3), md.nn.ReLU())
    with md.no_grad():
        net[0].bias.data[...] = -100.0  # every output of the ReLU is 0
    x = md.ones((1, 1, 5, 5))
    with detect_anomaly(), pytest.raises(AnomalyError, match="Log forward produced Inf") as e:
        md.log(net(x))
    assert "(1, 2, 3, 3)" in str(e.value)


def test_inf_already_in_a_parameter_is_passed_on_not_blamed_on_the_conv():
    conv = md.nn.Conv2d(1, 2, 3)
    with md.no_grad():
        conv.weight.data[...] = np.inf  # what a divergent optimiser step leaves behind
    with detect_anomaly():
        y = conv(md.ones((1, 1, 5, 5)))
    assert np.isinf(y.numpy()).all()


def test_a_script_error_points_at_the_script_line(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent("""\
        import minidl as md
        x = md.tensor([2.0, 0.0], requires_grad=True)
        with md.autograd.detect_anomaly():
            loss = md.log(x).sum()
    """)
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert done.returncode != 0
    assert f"{script}:4" in done.stderr and "loss = md.log(x).sum()" in done.stderr
    assert "forward produced Inf" in done.stderr


@pytest.mark.slow
def test_a_notebook_error_points_at_the_cell_and_line(tmp_path):
    from minidl.lessons.run import execute

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import minidl as md\nx = md.tensor([0.0], requires_grad=True)"),
        nbformat.v4.new_code_cell(
            "from minidl.autograd import AnomalyError\n"
            "try:\n"
            "    with md.autograd.detect_anomaly():\n"
            "        y = md.log(x)\n"
            "except AnomalyError as e:\n"
            "    print(e)"
        ),
    ]
    path = tmp_path / "98_anomaly.ipynb"
    nbformat.write(notebook, path)
    run, executed = execute(path, workdir=tmp_path)
    assert not run.error
    text = "".join(o.get("text", "") for o in executed.cells[1].outputs)
    assert "notebook cell In[2], line 4: y = md.log(x)" in text, text
