#!/bin/sh
# test_session_interrupt: Ctrl-C (SIGINT) during training in a script stops
# at the next batch, keeps the model (train_end says "stopped"), runs
# nothing after it, and ttlab exits with status 130. Skipped without the
# engine.
set -u
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$TTLAB" -c 'load synthetic tiny; split l2o; tower u = embed dim=4 | mlp 4; model m = twotower u u; train m epochs=1' \
  > /dev/null 2>&1 || { echo "engine not available"; exit 77; }
cat > long.tt <<'T'
set dashboard off
load synthetic small
split l2o
tower u = embed dim=8 | mlp 16 | l2norm
model m = twotower u u loss=inbatch
train m epochs=256 batch=64
echo not reached
T
"$TTLAB" --json long.tt > out.txt 2> err.txt &
pid=$!
i=0
while ! grep -q '"event":"epoch"' out.txt 2>/dev/null; do
  sleep 0.2
  i=$((i + 1))
  if [ $i -gt 300 ] || ! kill -0 $pid 2>/dev/null; then
    echo "training did not start"; cat err.txt; kill $pid 2>/dev/null; exit 1
  fi
done
kill -INT $pid
wait $pid
st=$?
fail=0
[ $st = 130 ] || { echo "exit $st, want 130"; fail=1; }
grep -q '"event":"train_end","model":"m".*"stopped":1' out.txt || { echo "no stopped train_end:"; cat out.txt; fail=1; }
grep -q 'not reached' out.txt && { echo "the script went on after Ctrl-C"; fail=1; }
exit $fail
