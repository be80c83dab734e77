#!/bin/sh
# test_session_golden: run every tests/script/golden/*.tt script and compare its
# stdout, stderr and exit status with NAME.out and NAME.err, exactly (times
# and speeds are masked). A script whose first line is "# needs: engine" is
# skipped when the engine cannot load and evaluate the tiny synthetic set.
# Regenerate after an intended change: TTLAB_GOLDEN_UPDATE=1 make check
set -u
dir="$top_srcdir/tests/script/golden"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
engine=0
"$TTLAB" -c 'load synthetic tiny; split l2o; model p = popularity; eval p' > /dev/null 2>&1 && engine=1
fail=0 ran=0
mask() {
  sed -E -e 's/"(seconds|examples_per_s|train_s)":[0-9.e+-]+/"\1":T/g' \
         -e 's/[0-9]+\.[0-9] s, [0-9]+ examples\/s/T s, N examples\/s/g'
}
for t in "$dir"/*.tt; do
  name=$(basename "$t" .tt)
  if head -n 1 "$t" | grep -q '^# needs: engine' && [ $engine = 0 ]; then
    echo "skip $name (no engine)"
    continue
  fi
  ran=$((ran + 1))
  (cd "$dir" && "$TTLAB" --keep-going "$name.tt" < /dev/null > "$tmp/out" 2> "$tmp/err"; echo "[exit $?]" >> "$tmp/out")
  mask < "$tmp/out" > "$tmp/$name.out"
  mask < "$tmp/err" > "$tmp/$name.err"
  if [ -n "${TTLAB_GOLDEN_UPDATE:-}" ]; then
    cp "$tmp/$name.out" "$dir/$name.out"
    cp "$tmp/$name.err" "$dir/$name.err"
    continue
  fi
  for ext in out err; do
    if ! cmp -s "$tmp/$name.$ext" "$dir/$name.$ext"; then
      echo "golden $name.$ext differs (- expected, + got):"
      diff -u "$dir/$name.$ext" "$tmp/$name.$ext" | head -40
      fail=1
    fi
  done
done
[ $ran -gt 0 ] || { echo "no golden script ran"; exit 77; }
exit $fail
