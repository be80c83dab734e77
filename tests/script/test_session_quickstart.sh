#!/bin/sh
# test_session_quickstart: the README's first command runs to the end
# (scaled down to one epoch): the popularity baseline and the two-tower
# model are evaluated and compared, and the model beats the baseline.
set -u
out=$(EPOCHS=1 "$TTLAB" --json "$top_srcdir/experiments/00-quickstart.tt" 2>/dev/null) || { echo "quickstart failed"; exit 1; }
r20() { printf '%s\n' "$out" | grep "\"event\":\"eval\",\"model\":\"$1\"" | sed -n 's/.*"recall@20":\([0-9.e-]*\).*/\1/p'; }
pop=$(r20 pop) dssm=$(r20 dssm)
[ -n "$pop" ] && [ -n "$dssm" ] || { echo "missing eval lines:"; printf '%s\n' "$out"; exit 1; }
printf '%s\n' "$out" | grep -q '"event":"compare","model":"dssm"' || { echo "no compare"; exit 1; }
awk -v a="$dssm" -v b="$pop" 'BEGIN { exit !(a > b) }' || { echo "dssm recall@20 $dssm not above popularity $pop"; exit 1; }
