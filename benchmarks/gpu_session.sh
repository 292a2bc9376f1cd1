#!/usr/bin/env bash
# The GPU session of issue 8 in one command: diagnostics, `pytest -m gpu`, the four demos with
# --device cuda, and the GPU benchmark. It runs in the repository root of the device machine's
# copy of the working tree. First run on an H200 on 2026-12-04 (README, "Measured results
# (GPU)"). With a 15-minute lease use gpu_session_parallel.sh, which fits it all in one call.
#
# Through the device tool (two calls of at most 10 minutes; the machine stays warm 30 s after
# a call, so make the second call right after the first):
#
#   run(command="bash benchmarks/gpu_session.sh info tests bench", carry=[".whl"], timeout_s=600)
#   run(command="bash benchmarks/gpu_session.sh demos", carry=[".whl"], timeout_s=600)
#
# Measured on the H200 (2026-12-04): info 22 s, tests 123 s, bench 22 s and bench_nosync 12 s,
# the quick demos 13-60 s each (these beside the tests). Caps: tests 300 s, bench 180 + 60 s,
# each quick demo 125 s. The carried .whl must hold numpy-2.4.*.whl: see check_numba_cuda. A step
# skipped for lack of budget is listed in the summary: run it in a third call, e.g.
#   run(command="bash benchmarks/gpu_session.sh bench", carry=[".whl"], timeout_s=600)
#
# Steps (any subset, in the order given): info, tests, demos (= unet siamese maskrcnn style),
# unet, siamese, maskrcnn, style, bench. Each step runs under `timeout` and logs to
# $OUT/<step>.log; a failing step does not stop the next. Demo metrics go to
# $OUT/<name>.json, the benchmark's JSON to $OUT/bench.json. The whole call keeps within
# GPU_SESSION_BUDGET seconds (default 560): a step that would not fit is skipped and listed,
# so that a later call can run it. At the end everything except summary.txt, tests.log,
# bench.log and bench.json is packed into $OUT/gpu_session_logs.tar.gz (the device tool
# brings back at most 8 files), and the summary is printed last (the tool shows the end of
# the output).
#
# .whl (git-ignored, carried): pure-Python wheels installed only when the image lacks the
# module (KINDS.md lists hypothesis, tqdm and imageio as installed there, so normally nothing
# is installed). To rebuild the folder in a fresh checkout:
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#     --implementation cp --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
#     -d .whl hypothesis==6.170.15 sortedcontainers==2.4.0 tqdm==4.70.1 imageio==2.38.1
# SciPy, scikit-image and matplotlib are too large to carry (64 MiB in all); KINDS.md lists
# them as installed. minidl itself is used from the checkout through PYTHONPATH (no install).

set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu_session_out}
mkdir -p "$OUT"
BUDGET=${GPU_SESSION_BUDGET:-560}
STARTED=$SECONDS
PY=python3
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg MINIDL_REQUIRE_TORCH=1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"

note() { echo "$*" | tee -a "$SUMMARY"; }

install_missing_wheels() {
    local wheels=() pair module pattern
    for pair in hypothesis:hypothesis-* sortedcontainers:sortedcontainers-* tqdm:tqdm-* imageio:imageio-*; do
        module=${pair%%:*} pattern=${pair#*:}
        if ! $PY -c "import $module" 2>/dev/null; then
            if compgen -G ".whl/$pattern.whl" >/dev/null; then
                wheels+=(.whl/$pattern.whl)
            else
                note "missing: $module, and no .whl/$pattern.whl to install"
            fi
        fi
    done
    if ((${#wheels[@]})); then
        note "installing carried wheels: ${wheels[*]}"
        $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target /tmp/site "${wheels[@]}" && export PYTHONPATH="/tmp/site:$PYTHONPATH"
    fi
}

# run_step NAME SECONDS COMMAND...: COMMAND under `timeout`, logged to $OUT/NAME.log.
run_step() {
    local name=$1 limit=$2 left rc began
    shift 2
    left=$((BUDGET - (SECONDS - STARTED) - 15))  # 15 s kept for packing up
    if ((left < 30)); then
        note "$(printf '%-13s skipped: %4d s of the %d s budget left' "$name" "$left" "$BUDGET")"
        return
    fi
    ((limit > left)) && limit=$left
    echo "=== $name (at most ${limit} s): $*"
    began=$SECONDS
    timeout --signal=INT --kill-after=15 "$limit" "$@" >"$OUT/$name.log" 2>&1
    rc=$?
    local verdict=ok
    ((rc == 124 || rc == 137)) && verdict="TIMED OUT"
    ((rc != 0 && rc != 124 && rc != 137)) && verdict=FAILED
    note "$(printf '%-13s %-9s rc=%-3d %4d s  %s' "$name" "$verdict" "$rc" $((SECONDS - began)) "$name.log")"
    if ((rc != 0)); then
        tail -n 25 "$OUT/$name.log" | sed "s/^/    $name| /"
    fi
}

step_info() {
    run_step info 120 bash -c '
        nvidia-smi || true
        python3 -c "import sys; print(sys.version)"
        for m in numpy numba numba.cuda numba_cuda cupy torch torchvision scipy skimage \
                 matplotlib imageio tqdm hypothesis pytest; do
            python3 -c "import importlib; m = importlib.import_module(\"$m\"); \
print(\"%-12s %s\" % (\"$m\", getattr(m, \"__version__\", \"(no version)\")))" 2>&1 | tail -n 1
        done
        python3 -m minidl info'
}

step_tests() {
    local extra=()
    $PY -c "import pytest_timeout" 2>/dev/null && extra+=(--timeout=240)
    run_step tests 300 $PY -m pytest -m gpu -q -rfE --durations=25 -p no:cacheprovider \
        --continue-on-collection-errors "${extra[@]}"
}

step_demo() {
    local name=$1 limit=$2
    run_step "$name" "$limit" $PY -m minidl demo "$name" --quick --device cuda \
        --metrics "$OUT/$name.json" --out "$OUT/pictures/$name"
}

step_bench() {
    run_step bench 180 $PY benchmarks/bench_gpu.py --repeat 10 --out "$OUT/bench.json"
    # the launch-bound kernels again without numba-cuda's stream sync at each launch
    run_step bench_nosync 60 env NUMBA_CUDA_ARRAY_INTERFACE_SYNC=0 $PY benchmarks/bench_gpu.py \
        --repeat 10 --ops max_pool2d,max_unpool2d,roi_align
}

pack_up() {
    local keep=(summary.txt tests.log bench.log bench.json)
    local files=()
    while IFS= read -r f; do
        local base=${f#"$OUT"/} skip=0 k
        for k in "${keep[@]}"; do [[ $base == "$k" ]] && skip=1; done
        ((skip)) || files+=("$base")
    done < <(find "$OUT" -type f ! -name '*.tar.gz' | sort)
    if ((${#files[@]})); then
        tar czf "$OUT/gpu_session_logs.tar.gz" -C "$OUT" "${files[@]}" &&
            (cd "$OUT" && rm -f "${files[@]}") && rm -rf "$OUT/pictures"
        note "packed ${#files[@]} files into gpu_session_logs.tar.gz"
    fi
}

# numba-cuda 0.30.4 compiles nothing under NumPy 2.5 (its typing registry overloads
# np.row_stack, which NumPy 2.5 removed): if a one-line kernel fails to compile, install the
# carried .whl/numpy-2.4.*.whl in front of the image's NumPy and try again.
probe_numba_cuda() {
    $PY -c '
import numpy as np
from numba import cuda
@cuda.jit
def one(a):
    a[0] = 1
a = cuda.device_array(1)
one[1, 1](a)
print("numba-cuda compiles a kernel with NumPy", np.__version__)' 2>&1 | tail -n 1
}

check_numba_cuda() {
    local said
    if [[ -d /tmp/site_numpy/numpy ]]; then  # an earlier call (the `probe` step) needed it
        export PYTHONPATH="/tmp/site_numpy:$PYTHONPATH"
        return
    fi
    said=$(probe_numba_cuda)
    note "probe: $said"
    if [[ $said != numba-cuda* ]] && compgen -G ".whl/numpy-2.4.*.whl" >/dev/null; then
        $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target /tmp/site_numpy .whl/numpy-2.4.*.whl &&
            export PYTHONPATH="/tmp/site_numpy:$PYTHONPATH"
        note "probe with the carried NumPy: $(probe_numba_cuda)"
    fi
}

(($#)) || set -- info tests demos bench
install_missing_wheels
check_numba_cuda
for step in "$@"; do
    case $step in
        info) step_info ;;
        tests) step_tests ;;
        demos) for d in unet siamese maskrcnn style; do step_demo "$d" 125; done ;;
        unet | siamese | maskrcnn | style) step_demo "$step" 300 ;;
        bench) step_bench ;;
        probe) ;;  # check_numba_cuda above is all it does
        *) note "unknown step $step (known: info tests demos unet siamese maskrcnn style bench)" ;;
    esac
done
note "total $((SECONDS - STARTED)) s of a ${BUDGET} s budget"
pack_up
echo
echo "===== summary ($OUT/summary.txt)"
cat "$SUMMARY"
