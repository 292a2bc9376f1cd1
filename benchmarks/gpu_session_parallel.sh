#!/usr/bin/env bash
# The whole GPU session of issue 20 in ONE device call, for a 15-minute lease:
#
#   run(command="bash benchmarks/gpu_session_parallel.sh", carry=[".whl"], timeout_s=600)
#
# .whl holds numpy-2.4.*.whl (see gpu_session.sh: numba-cuda 0.30.4 fails under NumPy 2.5).
#
# Phase 1 runs `pytest -m gpu` and the four quick demos side by side (each its own process,
# each with its own OUT folder): their results do not depend on what else shares the GPU, and
# run one after another they would not fit one call. Phase 2 then runs the info step and the
# benchmark alone on an idle GPU, so that its timings are not disturbed. Everything comes
# back as one archive, $OUT/gpu_session.tar.gz, and the summaries are printed last.
set -u
cd "$(dirname "$0")/.."
FINAL=${OUT:-/tmp/gpu_session_out}
WORK=/tmp/gpu_session_work
rm -rf "$WORK" && mkdir -p "$WORK"
PHASE1=${PHASE1_BUDGET:-320}
PHASE2=${PHASE2_BUDGET:-235}

# once, before the parallel steps: does numba-cuda compile here, or is the carried NumPy needed
OUT="$WORK/probe" bash benchmarks/gpu_session.sh probe >"$WORK/probe.stdout" 2>&1

# a few CPU threads each: five processes share 16 cores
export NUMBA_NUM_THREADS=3 OMP_NUM_THREADS=3 OPENBLAS_NUM_THREADS=3
pids=()
for step in tests unet siamese maskrcnn style; do
    OUT="$WORK/$step" GPU_SESSION_BUDGET=$PHASE1 bash benchmarks/gpu_session.sh "$step" \
        >"$WORK/$step.stdout" 2>&1 &
    pids+=($!)
done
wait "${pids[@]}"

unset NUMBA_NUM_THREADS OMP_NUM_THREADS OPENBLAS_NUM_THREADS
OUT="$WORK/bench" GPU_SESSION_BUDGET=$PHASE2 bash benchmarks/gpu_session.sh ${PHASE2_STEPS:-info bench} \
    >"$WORK/bench.stdout" 2>&1

tar czf "$FINAL/gpu_session.tar.gz" -C "$WORK" .
for step in probe tests unet siamese maskrcnn style bench; do
    echo "===== $step"
    cat "$WORK/$step/summary.txt" 2>/dev/null || tail -n 20 "$WORK/$step.stdout"
done
echo "===== bench table"
sed -n '/^op /,$p' "$WORK/bench/bench.log" 2>/dev/null | head -n 60
