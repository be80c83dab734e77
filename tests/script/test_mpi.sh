#!/bin/sh
# test_mpi: ttlab across the ranks of an MPI job (./configure --with-mpi).
#  - tests/unit/test_dist on 2 and 3 ranks: each step's loss, the final
#    parameters and the metrics against one process for full, in-batch and
#    sampled softmax (lazy Adam) and SENet towers; the same bits on every
#    rank and for every gradient exchange; sharded evaluation exact;
#  - a script on 2 ranks prints its JSON lines once (rank 0), with eval
#    metrics within 0.005 of one process, and `save` writes one file;
#  - a file unreadable on one rank stops every rank: exit 1, the message
#    names the rank, nothing after it runs (2 and 3 ranks);
#  - SIGINT to one rank (or SIGUSR1 to mpirun, which Open MPI forwards)
#    stops every rank at the same batch boundary: train_end says stopped
#    once, nothing after it runs, exit 130;
#  - SIGINT to mpirun (Ctrl-C typed at it): Open MPI sends the ranks SIGTERM
#    (after odls_base_sigkill_timeout seconds, 3 here) and exits 1 whatever
#    they return; the ranks take that SIGTERM as Ctrl-C: train_end says
#    stopped once, nothing after it runs, mpirun's status is 1, not 130.
# Skipped (77) in a build without MPI.
set -u
if [ -z "${MPIRUN:-}" ]; then
  echo "SKIP: built without MPI (./configure --with-mpi)"; exit 77
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
root=
[ "$(id -u)" = 0 ] && root=--allow-run-as-root
# Under the sanitizers (TTLAB_SANITIZED, .ci/run) ASan and UBSan stay on for
# every rank, LeakSanitizer does not: Open MPI keeps what MPI_Init allocated
# in components it has unloaded (dlclose) by exit, so the leak reports carry
# no symbol or module a suppression could name (seen: 116 kB in 3,300
# allocations, every stack "<unknown module>"). ttlab's own allocations on
# these paths are the ones the single-process tests check for leaks.
if [ -n "${TTLAB_SANITIZED:-}" ]; then
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"; export ASAN_OPTIONS
fi
mpi() { n=$1; shift; "$MPIRUN" $root --oversubscribe -np "$n" "$@"; }

for n in 2 3; do
  mpi $n "$top_builddir/tests/unit/test_dist" > "$tmp/dist$n.txt" 2>&1 || {
    fail "test_dist on $n ranks"; cat "$tmp/dist$n.txt"; }
done

# ---- one script, printed once, metrics as one process
script='set seed 1; set dashboard off; load synthetic small; split l2o; tower u = embed dim=8 | mlp 32 16 | l2norm; model m = twotower u u loss=inbatch; train m epochs=3 batch=256 threads=1; eval m split=test k=10,20,50; save m '
"$TTLAB" --json -c "$script$tmp/one.ttm" > "$tmp/one.json" 2> "$tmp/one.err" || fail "one process: $(cat "$tmp/one.err")"
mpi 2 "$TTLAB" --json -c "$script$tmp/two.ttm" > "$tmp/two.json" 2> "$tmp/two.err" || fail "2 ranks: $(cat "$tmp/two.err")"
[ "$(grep -c '"event"' "$tmp/one.json")" = "$(grep -c '"event"' "$tmp/two.json")" ] ||
  fail "2 ranks printed $(grep -c '"event"' "$tmp/two.json") JSON lines, one process $(grep -c '"event"' "$tmp/one.json")"
[ "$(grep -c 'epoch 1/3' "$tmp/two.err")" = 1 ] || fail "progress lines not printed once: $(cat "$tmp/two.err")"
awk -v tol=0.005 '
  function metrics(line, arr,   n, i, kv, parts) {
    n = split(line, parts, ",")
    for (i = 1; i <= n; i++) if (parts[i] ~ /(recall|ndcg|hitrate)@|"mrr"/) {
      split(parts[i], kv, ":"); gsub(/[{}"]/, "", kv[1]); gsub(/[{}]/, "", kv[2]); arr[kv[1]] = kv[2] + 0 }
  }
  FNR == 1 { f++ }
  /"event":"eval"/ { if (f == 1) metrics($0, a); else metrics($0, b) }
  END {
    n = 0; bad = 0
    for (k in a) { n++; d = a[k] - b[k]; if (d < 0) d = -d; if (!(k in b) || d > tol) { print "metric " k ": " a[k] " vs " b[k]; bad = 1 } }
    if (n < 7) { print "only " n " metrics read"; bad = 1 }
    exit bad
  }' "$tmp/one.json" "$tmp/two.json" || fail "eval on 2 ranks differs from one process by more than 0.005"
[ -s "$tmp/two.ttm" ] || fail "save on 2 ranks wrote no file"
ls "$tmp" | grep -q '\.tmp\.' && fail "temporary files left: $(ls "$tmp")"

# ---- a rank that cannot read its file stops all
for n in 2 3; do
  bad=$((n - 1))
  for r in 0 1 2; do echo 'echo rank script read' > "$tmp/part$r.tt"; done
  rm -f "$tmp/part$bad.tt"
  mpi $n "$TTLAB" -c "load synthetic tiny; source $tmp/part\${OMPI_COMM_WORLD_RANK}.tt; echo not reached" \
    > "$tmp/bad.out" 2> "$tmp/bad.err"
  rc=$?
  [ $rc = 1 ] || fail "$n ranks, rank $bad failing: exit $rc, not 1"
  grep -q "error: rank $bad: .*cannot open" "$tmp/bad.err" || fail "$n ranks: no message naming rank $bad: $(cat "$tmp/bad.err")"
  grep -q "not reached" "$tmp/bad.out" && fail "$n ranks: the script went on after rank $bad failed"
  [ "$(grep -c 'error:' "$tmp/bad.err")" = 1 ] || fail "$n ranks: error printed more than once: $(cat "$tmp/bad.err")"
done

# ---- SIGINT to one rank, SIGUSR1 to mpirun: all stop, exit 130
cat > "$tmp/long.tt" <<'T'
set dashboard off
load synthetic small
split l2o
tower u = embed dim=8 | mlp 16 | l2norm
model m = twotower u u loss=inbatch
train m epochs=500 batch=64 threads=1
echo not reached
T
for how in rank usr1 mpirun; do
  # the last run's output must not answer the wait below: mpirun would get
  # SIGUSR1 before it handles it (exit 138), a race seen under load
  rm -f "$tmp/int.out"
  # A script's asynchronous command starts with SIGINT ignored, and mpirun
  # keeps it so; with job control on it starts with SIGINT as a terminal's
  # foreground job has it.
  [ $how = mpirun ] && set -m
  "$MPIRUN" $root --oversubscribe --mca odls_base_sigkill_timeout 3 -np 2 "$TTLAB" --json "$tmp/long.tt" \
    > "$tmp/int.out" 2> "$tmp/int.err" &
  pid=$!
  set +m
  i=0
  while ! grep -q '"event":"epoch"' "$tmp/int.out" 2>/dev/null; do
    sleep 0.2; i=$((i + 1))
    if [ $i -gt 600 ] || ! kill -0 $pid 2>/dev/null; then fail "$how: training did not start"; break; fi
  done
  if [ $how = rank ]; then
    ranks=$(pgrep -P $pid)
    [ -n "$ranks" ] || fail "no rank processes under mpirun"
    kill -INT $(echo "$ranks" | tail -n 1)
  elif [ $how = usr1 ]; then
    kill -USR1 $pid
  else
    kill -INT $pid
  fi
  # 60 s to stop (it takes a few batches and 3 s for mpirun's SIGTERM),
  # then the job is ended so that a failure cannot hang make check
  i=0
  while kill -0 $pid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
  kill -0 $pid 2>/dev/null && { fail "$how: still running 60 s after the signal"; kill -KILL $pid; }
  wait $pid
  rc=$?
  want=130
  [ $how = mpirun ] && want=1   # Open MPI's own status after SIGINT (man ttlab, MPI)
  [ $rc = $want ] || fail "$how: exit $rc, not $want: $(tail -5 "$tmp/int.err")"
  [ "$(grep -c '"event":"train_end".*"stopped":1' "$tmp/int.out")" = 1 ] || fail "$how: no single stopped train_end: $(tail -3 "$tmp/int.out")"
  grep -q "not reached" "$tmp/int.out" && fail "$how: the script went on after the interrupt"
done

[ $fails = 0 ] || exit 1
echo "ok"
