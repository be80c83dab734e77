#!/bin/sh
# test_dat: augment=dat through the real ttlab: the definition prints back
# with its options, training lowers the loss, a model file round-trips it
# (same metrics after open, the options restored), `with` keeps it.
. "${top_srcdir:-.}/tests/script/lib.sh"
cd "$tmp" || exit 1
cat > run.tt <<'TT'
set seed 1
load synthetic tiny
split l2o
tower u = embed dim=8 | mlp 32 16 | l2norm
tower i = embed dim=8 | mlp 32 16 | l2norm
model a = twotower u i augment=dat dat_w=0.3
train a epochs=3
set output csv
eval a split=test
save a a.ttm
open a.ttm as b
eval b split=test
set output table
show model b
model c = b with loss=inbatch
TT
"$TTLAB" run.tt > out.txt 2> err.txt || { cat out.txt err.txt; fail "ttlab run.tt: status $?"; }
grep -q '^model a = twotower u i .* augment=dat dat_w=0.3$' out.txt || { cat out.txt; fail "definition does not print augment=dat dat_w=0.3"; }
grep -q 'augment=dat dat_w=0.3' out.txt || fail "show model b lost the options"
grep -q '^model c = .*loss=inbatch augment=dat dat_w=0.3' out.txt || fail "with lost augment=dat"
l1=$(cat out.txt err.txt | sed -n 's/^a epoch 1\/3: loss \([0-9.]*\).*/\1/p'); l3=$(cat out.txt err.txt | sed -n 's/^a epoch 3\/3: loss \([0-9.]*\).*/\1/p')
awk -v a="$l1" -v b="$l3" 'BEGIN { exit !(b < a) }' || fail "loss did not go down ($l1 -> $l3)"
a=$(grep '^a,test,' out.txt); b=$(grep '^b,test,' out.txt | sed 's/^b,/a,/')
[ -n "$a" ] && [ "$a" = "$b" ] || fail "metrics differ after save/open: '$a' vs '$b'"
echo "ok: augment=dat definition, training, model file"
