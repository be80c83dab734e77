#!/bin/sh
# bench_mpi: data-parallel training over MPI on this machine: one epoch of
# the generated 1,000,000-interaction set (synthetic large: 25,000 users,
# 100,000 items) with in-batch and with sampled softmax, as one process and
# on 2 ranks (threads=1 per rank), batch 1024. Prints seconds per epoch,
# speed-up and efficiency, the communication each rank did per step
# (measured by ttlab's exchange, train_end's comm_* fields), and the
# expected efficiency at 8, 32 and 128 ranks from a model whose inputs are
# printed with it (README.md, "Beyond one machine").
# Environment: MPIRUN (make bench passes configure's), TTLAB (src/ttlab),
# TT_BENCH_MPI_SET (large), TT_BENCH_MPI_BATCH (1024).
set -u
TTLAB=${TTLAB:-src/ttlab}
if [ -z "${MPIRUN:-}" ]; then
  echo "bench_mpi: skipped (ttlab built without MPI: ./configure --with-mpi)"; exit 0
fi
root=
[ "$(id -u)" = 0 ] && root=--allow-run-as-root
set_=${TT_BENCH_MPI_SET:-large}
B=${TT_BENCH_MPI_BATCH:-1024}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

field() { # field NAME FILE: the number of "NAME": in the train_end line
  grep '"event":"train_end"' "$2" | sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

echo "bench_mpi: synthetic $set_, batch $B, 1 epoch, threads=1 per rank; load average $(cut -d' ' -f1 /proc/loadavg)"
printf '%-8s %10s %10s %8s %6s %9s %9s %8s %s\n' loss "1 rank s" "2 ranks s" speedup eff "MiB/step" "comm s" steps exchange
for loss in inbatch sampled; do
  s="set seed 1; set dashboard off; load synthetic $set_; split l2o; tower u = embed dim=16 | mlp 64 32 | l2norm; tower i = embed dim=16 | mlp 64 32 | l2norm; model m = twotower u i loss=$loss; train m epochs=1 batch=$B threads=1 valid=off"
  "$TTLAB" --json -c "$s" > "$tmp/1.json" 2> "$tmp/1.err" || { cat "$tmp/1.err"; exit 1; }
  "$MPIRUN" $root --oversubscribe -np 2 "$TTLAB" --json -c "$s" > "$tmp/2.json" 2> "$tmp/2.err" || { cat "$tmp/2.err"; exit 1; }
  t1=$(field seconds "$tmp/1.json"); t2=$(field seconds "$tmp/2.json")
  steps=$(field steps "$tmp/2.json"); mib=$(field comm_mib "$tmp/2.json")
  cs=$(field comm_seconds "$tmp/2.json"); calls=$(field comm_calls "$tmp/2.json")
  gmib=$(field comm_grad_mib "$tmp/2.json"); xch=$(field exchange "$tmp/2.json")
  awk -v l=$loss -v t1="$t1" -v t2="$t2" -v st="$steps" -v mib="$mib" -v cs="$cs" -v x="$xch" 'BEGIN {
    printf "%-8s %10.2f %10.2f %8.2f %6.2f %9.3f %9.2f %8d %s\n", l, t1, t2, t1 / t2, t1 / (2 * t2), mib / st, cs, st, x }'
  echo "$loss $t1 $t2 $steps $mib $gmib $cs $calls" >> "$tmp/model.in"
done

# The model. Per step, from the runs above: T1 = one process's step time;
# at 2 ranks the step is T2 = R + P/2 + C2, with C2 the measured seconds
# inside the exchanges, so P = 2 (T1 - (T2 - C2)) is the part that divides
# over the ranks (the towers) and R = T1 - P the part every rank repeats
# (the loss over the whole batch, the optimiser step). At N ranks:
#   T_N = R + P / N + V2 * 2 (N - 1) / N / bandwidth + K * (N - 1) * alpha
# V2: bytes a rank sent per step at 2 ranks (every exchange here moves
# 2 (N - 1) / N of its volume per rank: gathers, reduce-scatter + all-gather,
# all-gatherv of rows); K: collective calls per step, each taken as N - 1
# latency-bound rounds (ring algorithms) of alpha. The network's alpha is an
# assumption, not measured here (one machine): 20 us at 10 Gbit/s Ethernet,
# 2 us at 100 Gbit/s InfiniBand/RoCE. Efficiency = T1 / (N T_N).
echo
echo "expected efficiency (model: T_N = R + P/N + V2*2(N-1)/N/bw + K*(N-1)*alpha; inputs measured above, alpha assumed)"
awk '{
  t1 = $2 / $4; t2 = $3 / $4; c2 = $7 / $4; v2 = $5 * 1048576 / $4; k = $8 / $4
  p = 2 * (t1 - (t2 - c2)); if (p < 0) p = 0; if (p > t1) p = t1; r = t1 - p
  printf "%s: T1 %.2f ms/step, P %.2f ms (divides), R %.2f ms (repeated), V2 %.3f MiB/step, K %.1f calls/step\n",
    $1, t1 * 1e3, p * 1e3, r * 1e3, v2 / 1048576, k
  n = split("8 32 128", ns, " ")
  for (bi = 1; bi <= 2; bi++) {
    bw = bi == 1 ? 10e9 / 8 : 100e9 / 8; a = bi == 1 ? 20e-6 : 2e-6
    line = sprintf("  %3d Gbit/s:", bi == 1 ? 10 : 100)
    for (i = 1; i <= n; i++) {
      N = ns[i]; tn = r + p / N + v2 * 2 * (N - 1) / N / bw + k * (N - 1) * a
      line = line sprintf("  %3d ranks %5.1f%% (%.2f ms/step)", N, 100 * t1 / (N * tn), tn * 1e3)
    }
    print line
  }
}' "$tmp/model.in"
