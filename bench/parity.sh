#!/bin/sh
# parity: ttlab against the independent PyTorch reference (bench/reference_torch.py)
# on ML-100K under the same schedule (batch 256, Adam 1e-3, test at the best valid
# epoch), several seeds each, test Recall@20 mean +- std side by side, and the CPU
# time of each side (getrusage of the children: the machine may be shared).
# usage: bench/parity.sh [MODEL] [EPOCHS] [SEEDS]   (comirec 5 1,2,3)
#   MODEL: a model both sides know: dssm, senet, dssm-inbatch, dat, comirec.
# Environment: TTLAB_SHARED (../shared), BENCH_TRAIN (bench/bench_train),
# TT_BENCH_THREADS (2). PyTorch runs with OPENBLAS_NUM_THREADS=1 (its fastest
# setting here, PROTOCOL.md) from /usr/bin/python3 (python3-torch).
set -u
model=${1:-comirec}
epochs=${2:-5}
seeds=${3:-1,2,3}
shared=${TTLAB_SHARED:-../shared}
bt=${BENCH_TRAIN:-bench/bench_train}
threads=${TT_BENCH_THREADS:-2}
here=$(dirname "$0")
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "parity: skipped (no python3-torch)"; exit 0
fi
[ -f "$shared/data/ml-100k/u.data" ] || { echo "parity: no ML-100K in $shared/data/ml-100k"; exit 1; }
[ -x "$bt" ] || { echo "parity: $bt is not built (make bench/bench_train)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
for s in $(echo "$seeds" | tr , ' '); do
  OPENBLAS_NUM_THREADS=1 /usr/bin/time -a -o "$tmp/torch.cpu" -f '%U %S' \
    "$py" "$here/reference_torch.py" "$shared/data/ml-100k" "$model" "$epochs" "$s" "$threads" \
    >> "$tmp/torch.out" || { echo "parity: PyTorch seed $s failed"; exit 1; }
done
TT_BENCH_EPOCHS=$epochs TT_BENCH_SEEDS=$seeds TT_BENCH_MODELS=$model TT_BENCH_SCALE=0 \
  TT_BENCH_TORCH=0 TTLAB_SHARED=$shared TT_BENCH_THREADS=$threads \
  /usr/bin/time -o "$tmp/ttlab.cpu" -f '%U %S' "$bt" > "$tmp/ttlab.out" ||
  { cat "$tmp/ttlab.out"; echo "parity: bench_train failed"; exit 1; }
# mean and sample std of a column of numbers
stats() { awk '{ s += $1; q += $1 * $1; n++ } END { m = s / n; v = n > 1 ? (q - n * m * m) / (n - 1) : 0;
  printf "%.4f +- %.4f (%d seeds)", m, sqrt(v > 0 ? v : 0), n }'; }
tr20=$(sed -n 's/.*test_recall@20=\([0-9.]*\).*/\1/p' "$tmp/torch.out")
# bench_train's per-seed rows: model seed best R@10 R@20 ...
ttr20=$(awk -v m="$model" '$1 == m && $2 ~ /^[0-9]+$/ { print $5 }' "$tmp/ttlab.out")
echo "parity $model, ML-100K, $epochs epochs, seeds $seeds, test recall@20 at the best valid epoch"
echo "  PyTorch: $(echo "$tr20" | stats); per seed: $(echo $tr20)"
echo "  ttlab:   $(echo "$ttr20" | stats); per seed: $(echo $ttr20)"
echo "  CPU seconds (user+system, all seeds, loading and evaluation included; ttlab" \
  "also bench_train's one-second sgemm probe): PyTorch" \
  "$(awk '{ s += $1 + $2 } END { printf "%.1f", s }' "$tmp/torch.cpu")," \
  "ttlab $(awk '{ s += $1 + $2 } END { printf "%.1f", s }' "$tmp/ttlab.cpu")"
