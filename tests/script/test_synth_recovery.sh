#!/bin/sh
# test_synth_recovery: each structure the generator plants for the models
# after SENet (datasets/README.md) is recovered by the model made for it, at
# a fixed seed, through the real ttlab.
#  tails: SENet and Light-SE weigh every long-tailed noise field (tail1..4)
#         below every informative user field (hist, mode, age, taste).
# Measured (seed 1, 5 epochs, lr 0.002): SENet tails 0.20-0.27 against
# 0.44-0.93; Light-SE 0.059-0.063 against 0.087-0.205.
. "${top_srcdir:-.}/tests/script/lib.sh"
cd "$tmp" || exit 1

# ---- tails: SE blocks turn the noise down ----
cat > tails.tt <<'TT'
set seed 1
load synthetic tails
split l2o
tower us = embed dim=16 | senet r=2 | mlp 64 32 | l2norm
tower is = embed dim=16 | senet r=2 | mlp 64 32 | l2norm
model senet = twotower us is
tower ul = embed dim=16 | lightse | mlp 64 32 | l2norm
tower il = embed dim=16 | lightse | mlp 64 32 | l2norm
model lightse = twotower ul il
train senet epochs=5 lr=0.002
train lightse epochs=5 lr=0.002
set output csv
weights senet tower=user
weights lightse tower=user
TT
"$TTLAB" tails.tt > tails.out 2> tails.err || { cat tails.out tails.err; fail "ttlab tails.tt: status $?"; }
for m in senet lightse; do
    # mean weight of feature F in model M (csv: model,side,feature,mean,...)
    w() { awk -F, -v m="$m" -v f="$1" '$1 == m && $3 == f { print $4 }' tails.out; }
    low=1
    for f in hist mode age taste; do
        v=$(w $f)
        [ -n "$v" ] || { bad "$m: no weight for $f"; continue; }
        low=$(awk -v a="$low" -v b="$v" 'BEGIN { print (b < a ? b : a) }')
    done
    for t in tail1 tail2 tail3 tail4; do
        v=$(w $t)
        [ -n "$v" ] || { bad "$m: no weight for $t"; continue; }
        awk -v a="$v" -v b="$low" 'BEGIN { exit !(a < b) }' ||
            bad "$m: $t weighs $v, not below the lowest informative field ($low)"
    done
    echo "$m: informative fields >= $low; tails: $(w tail1) $(w tail2) $(w tail3) $(w tail4)"
done
[ $fail = 0 ] && echo "ok: the planted structures are recovered"
exit $fail
