#!/bin/sh
# test_lightse: the Light-SE stage through the real ttlab: weights name it and
# sum to 1 per example (softmax over the fields, so the means sum to 1 too),
# the plots carry its name, a model file round-trips it (same metrics after
# open), `show tower` recreates it, and `no lightse` removes it.
. "${top_srcdir:-.}/tests/script/lib.sh"
cd "$tmp" || exit 1
cat > run.tt <<'TT'
set seed 1
load synthetic tiny
split l2o
tower u = embed dim=8 | lightse | mlp 16 | l2norm
tower i = embed dim=8 | lightse | mlp 16 | l2norm
tower v = u with no lightse
show tower u
show tower v
model a = twotower u i
train a epochs=2
weights a
set output csv
weights a tower=item
eval a split=test
save a a.ttm
open a.ttm as b
eval b split=test
set output table
plot weights a tower=user to w.svg
plot weights-history a tower=item to h.svg
TT
"$TTLAB" run.tt > out.txt 2> err.txt || { cat out.txt err.txt; fail "ttlab run.tt: status $?"; }
grep -q '^tower u = embed dim=8 | lightse | mlp 16 | l2norm' out.txt || { cat out.txt; fail "show tower u does not recreate the lightse stage"; }
grep -q '^tower v = embed dim=8 | mlp 16 | l2norm' out.txt || fail "no lightse did not remove the stage"
grep -q 'Light-SE weights of the user tower of a' out.txt || fail "weights footer does not name Light-SE"
# item means (csv: model,side,feature,mean,...) sum to 1
sum=$(grep '^a,item,' out.txt | awk -F, '{s += $4} END {printf "%.2f", s}')
[ "$sum" = "1.00" ] || fail "item Light-SE means sum to $sum, not 1"
a=$(grep '^a,test,' out.txt); b=$(grep '^b,test,' out.txt | sed 's/^b,/a,/')
[ -n "$a" ] && [ "$a" = "$b" ] || fail "metrics differ after save/open: '$a' vs '$b'"
grep -q 'Light-SE excitation weight per feature' w.svg || fail "plot weights title"
grep -q 'Light-SE weight per feature over training' h.svg || fail "plot weights-history title"
echo "ok: lightse weights, plots, model file, show/no"
