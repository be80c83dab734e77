#!/bin/sh
# bench_mpi: data-parallel training over MPI on this machine, and what it
# predicts for a cluster. One epoch of the generated 1,000,000-interaction
# set (synthetic large: 25,000 users, 100,000 items) with in-batch and with
# sampled softmax, batch 1024, threads=1 per rank, as 1 rank and as 2 ranks
# (mpirun; the embedding tables exchanged as (row, gradient) pairs:
# TTLAB_DIST_EXCHANGE=sparse, so that the model below has their volume).
# Prints per loss: seconds per epoch, speed-up and efficiency, and the
# model's inputs as measured by ttlab itself (train_end): the CPU of a step
# outside the collectives at 1 and 2 ranks, and per step, by collective, the
# bytes of the vectors combined and the calls. Then bench/mpi_model.awk's
# expected efficiency at 8, 32 and 128 ranks on 10 and 100 Gbit/s.
# Expected duration on an idle 2-core machine: about 2 minutes (4 trainings
# of an epoch; one rank's in-batch epoch took 12.2 s of CPU, 928 steps of
# 13.1 ms, on the shared machine; generating the set takes 0.3 s).
# Environment: MPIRUN (make bench passes configure's), TTLAB (src/ttlab),
# TT_BENCH_MPI_SET ("large"; any `load synthetic` words, e.g. "users=5000
# items=20000" for a quick try), TT_BENCH_MPI_BATCH (1024),
# TT_BENCH_MPI_INPUTS (a file to keep the model's input lines in),
# TT_BENCH_MPI_TRAIN (more train options, e.g. "lazy=on": Adam then updates
# the touched rows only, where by default every rank updates every table
# every step, part of what every rank repeats).
set -u
TTLAB=${TTLAB:-src/ttlab}
here=$(dirname "$0")
if [ -z "${MPIRUN:-}" ]; then
  echo "bench_mpi: skipped (ttlab built without MPI: ./configure --with-mpi)"; exit 0
fi
root=
[ "$(id -u)" = 0 ] && root=--allow-run-as-root
set_=${TT_BENCH_MPI_SET:-large}
B=${TT_BENCH_MPI_BATCH:-1024}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
kinds="allgather reduce_scatter allreduce rows small"

field() { # field NAME FILE: the value of "NAME": in the train_end line
  grep '"event":"train_end"' "$2" | sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

echo "bench_mpi: synthetic $set_, batch $B, 1 epoch, threads=1 per rank ${TT_BENCH_MPI_TRAIN:-}; $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
printf '%-8s %9s %9s %8s %6s %8s %8s %10s %7s\n' loss "1 rank s" "2 ranks s" speedup eff "cpu1 ms" "cpu2 ms" "sent MiB" steps
for loss in inbatch sampled; do
  s="set seed 1; set dashboard off; load synthetic $set_; split l2o; tower u = embed dim=16 | mlp 64 32 | l2norm; tower i = embed dim=16 | mlp 64 32 | l2norm; model m = twotower u i loss=$loss; train m epochs=1 batch=$B threads=1 valid=off ${TT_BENCH_MPI_TRAIN:-}"
  for n in 1 2; do
    TTLAB_DIST_EXCHANGE=sparse "$MPIRUN" $root --oversubscribe -np $n "$TTLAB" --json -c "$s" \
      > "$tmp/$n.json" 2> "$tmp/$n.err" || { echo "bench_mpi: $loss on $n ranks failed:"; cat "$tmp/$n.err"; exit 1; }
  done
  t1=$(field seconds "$tmp/1.json"); t2=$(field seconds "$tmp/2.json")
  c1=$(field step_cpu_ms "$tmp/1.json"); c2=$(field step_cpu_ms "$tmp/2.json")
  st=$(field steps "$tmp/2.json"); mib=$(field comm_mib "$tmp/2.json")
  awk -v l=$loss -v t1="$t1" -v t2="$t2" -v c1="$c1" -v c2="$c2" -v st="$st" -v mib="$mib" 'BEGIN {
    printf "%-8s %9.2f %9.2f %8.2f %6.2f %8.2f %8.2f %10.3f %7d\n", l, t1, t2, t1 / t2, t1 / (2 * t2), c1, c2, mib / st, st }'
  line="loss=$loss c1_ms=$c1 c2_ms=$c2 table_bytes=$(awk -v t="$(field table_mib "$tmp/2.json")" 'BEGIN { printf "%.0f", t * 1048576 }') exchange=$(field exchange "$tmp/2.json")"
  for k in $kinds; do
    line="$line $(awk -v k=$k -v b="$(field "comm_${k}_mib" "$tmp/2.json")" -v c="$(field "comm_${k}_calls" "$tmp/2.json")" -v st="$st" \
      'BEGIN { printf "%s_bytes=%.0f %s_calls=%.2f", k, b * 1048576 / st, k, c / st }')"
  done
  echo "$line" >> "$tmp/model.in"
done
echo
echo "per step at 2 ranks, by collective (bytes of the vector combined, calls):"
sed 's/^/  /' "$tmp/model.in"
[ -n "${TT_BENCH_MPI_INPUTS:-}" ] && cp "$tmp/model.in" "$TT_BENCH_MPI_INPUTS"
echo
awk -f "$here/mpi_model.awk" "$tmp/model.in"
