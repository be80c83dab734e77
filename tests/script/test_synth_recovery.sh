#!/bin/sh
# test_synth_recovery: each structure the generator plants for the models
# after SENet (datasets/README.md) is recovered by the model made for it, at
# a fixed seed, through the real ttlab.
#  tails: SENet and Light-SE weigh every long-tailed noise field (tail1..4)
#         below every informative user field (hist, mode, age, taste).
# Measured (seed 1, 5 epochs, lr 0.002): SENet tails 0.20-0.27 against
# 0.44-0.93; Light-SE 0.059-0.063 against 0.087-0.205.
#  tastes: on the tastes preset (64 taste clusters, 4 per user, more than a
#         32-wide vector has dimensions) ComiRec-SA ranks the held-out item
#         clearly better than DSSM with the same item tower. Measured (seed
#         1, 20 epochs, lr 0.01, test recall@20): DSSM 0.312, ComiRec-SA
#         0.3835 (+0.07; over seeds 1-3 at 30 epochs 0.308 +- 0.011 against
#         0.378 +- 0.010). With the structure off (tastes=1, same sizes) the
#         two tie (0.2215, 0.216) and this check fails, as it does with the
#         two models swapped. NOT claimed: that the several interests are
#         what wins. A one-interest tower (k=1) gets 0.3695 (seed 1), a
#         DSSM with a one-layer user tower (mlp 32) 0.354 (seeds 1-3, 30
#         epochs: 0.367 +- 0.011, within ComiRec-SA's spread), and the hard pick
#         lets one head score 99.7% of the held-out items: the lead is how
#         the user fields meet the history, on data where the tastes are
#         planted (datasets/README.md).
#         Also: MIND's label-aware attention (pow=20) keeps the four heads
#         apart: each scores 10-45% of the held-out items best, where the
#         hard pick (pow=0) lets one head win them all (the collapse of
#         ttlab-tutorial(7)). Measured (seed 1, fields=hist, 5 epochs, lr
#         0.01): pow=0 one head 0.9915; pow=20 0.234-0.261.
#         And the several interests as such: with the history alone against
#         the item_id table alone (32 wide) and proj=none, MIND routing with
#         k=4 ranks 0.08 above the same tower with k=1 (the mean-pool tower
#         exactly) and above the best of mean-pool, mlp 32 and mlp 64 32.
#         Measured (seed 1, 20 epochs, lr 0.01, no validation): k=4 0.4145,
#         k=1 and mean-pool 0.2805, mlp 32 0.1425, mlp 64 32 0.1585; seeds
#         1-3 at 30 epochs (08 part 3b) 0.4248 +- 0.0073 against 0.2813 +-
#         0.0069. Its controls fail: MI_K=1 (0.2805 against 0.2805) and
#         MI_TASTES=1 (k=4 0.195 against k=1 0.204).
#  cast:  the FE-Block (interact=fe heads=1) ranks the held-out items of
#         cast=4 (a user's favourite value in any of an item's four cast
#         fields) better than DSSM with the same towers (fan alone on the
#         user side, cast1..cast4 on the item side, 8 wide): its max over
#         item vectors reads an OR over fields that one 8-wide vector must
#         superpose. Measured (20 epochs, lr 0.01, test recall@20, main of
#         19:55 with the FE kernels' one-pass backward): seeds 1-2 DSSM
#         0.124, FE 0.154; seeds 1-3 DSSM 0.1285 +- 0.0079, FE 0.1558 +-
#         0.0119 (seed 1 alone 0.127 and 0.1425; clang ASan 0.1225 and
#         0.143; main of 20:05, the projection on the model's threads: seeds
#         1-2 FE 0.152). The FE-Block's result moves with float order like another
#         seed, so the check takes the mean of two seeds. Asserted: FE >=
#         DSSM + 0.010 over seeds 1-2. With the structure off (p = 0 in the
#         generator) it gives DSSM 0.0838, FE 0.0835 and fails; with the
#         two models swapped it fails. NOT checked: the same with every
#         field in the towers or at width 32; the gap is not there
#         (datasets/README.md).
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

# ---- tastes: the interests stage ranks the planted tastes; pow keeps heads apart ----
cat > tastes.tt <<'TT'
set seed 1
load synthetic tastes
split l2o
tower u = embed dim=16 | mlp 64 32 | l2norm
tower i = embed dim=16 | mlp 64 32 | l2norm
tower ua = embed dim=16 | interests k=4 via=attention out=32 | l2norm
tower ma = embed dim=16 fields=hist | interests k=4 via=attention out=32 | l2norm
tower mp = embed dim=16 fields=hist | interests k=4 via=attention out=32 pow=20 | l2norm
model dssm = twotower u i sim=cos temp=0.05 loss=softmax
model comirec = dssm with user=ua
model hard = dssm with user=ma
model soft = dssm with user=mp
train dssm epochs=20 batch=256 lr=0.01 opt=adam
train comirec epochs=20 batch=256 lr=0.01 opt=adam
train hard epochs=5 lr=0.01
train soft epochs=5 lr=0.01
set output csv
eval dssm split=test k=20
eval comirec split=test k=20
interests hard
interests soft
TT
"$TTLAB" tastes.tt > tastes.out 2> tastes.err || { cat tastes.out tastes.err; fail "ttlab tastes.tt: status $?"; }
# test recall@20 (csv: model,split,protocol,recall@20,...)
r20() { awk -F, -v m="$1" '$1 == m && $2 == "test" { print $4 }' tastes.out; }
rd=$(r20 dssm); rc=$(r20 comirec)
[ -n "$rd" ] && [ -n "$rc" ] || { cat tastes.out; fail "no test recall@20 for dssm/comirec"; }
# margin: half the measured gain (0.07), seven times the std over seeds (0.01)
awk -v c="$rc" -v d="$rd" 'BEGIN { exit !(c >= d + 0.035) }' ||
    bad "tastes: ComiRec-SA recall@20 $rc is not 0.035 above DSSM's $rd"
echo "tastes: test recall@20 DSSM $rd, ComiRec-SA $rc"
# win shares (csv: model,interest,active,active_share,wins,win_share)
shares() { awk -F, -v m="$1" '$1 == m && $2 ~ /^[0-9]+$/ { print $6 }' tastes.out; }
hs=$(shares hard); ss=$(shares soft)
[ "$(echo $ss | wc -w)" = 4 ] && [ "$(echo $hs | wc -w)" = 4 ] ||
    { cat tastes.out; fail "interests read-out: want 4 rows per model, got '$hs' / '$ss'"; }
echo "$ss" | awk '$1 < 0.10 || $1 > 0.45 { bad = 1 } END { exit bad }' ||
    bad "pow=20: the wins are not spread over the four interests: $(echo $ss)"
hmax=$(echo "$hs" | sort -g | tail -1); smax=$(echo "$ss" | sort -g | tail -1)
awk -v h="$hmax" -v s="$smax" 'BEGIN { exit !(h >= s + 0.3) }' ||
    bad "pow=0 vs pow=20: the hard pick's top share $hmax is not clearly above $smax"
echo "tastes: win shares pow=0: $(echo $hs); pow=20: $(echo $ss)"
# ---- tastes: several interests win because they are several ----
# History alone on the user side, the item_id table alone on the item side
# (which the history shares), 32 wide; MIND routing with proj=none keeps the
# interests in that table's space, so its k=1 is the mean-pool tower exactly
# (tests/unit/test_model.c). MI_K and MI_TASTES (default 4, 4) rerun this
# block as its own controls: with MI_K=1 or MI_TASTES=1 it must fail.
mk=${MI_K:-4}; mt=${MI_TASTES:-4}
cat > several.tt <<TT
set seed 1
load synthetic tastes tastes=$mt
split l2o
tower i0 = embed dim=32 fields=item_id | l2norm
tower mean = embed dim=32 fields=hist | l2norm
tower m32 = embed dim=32 fields=hist | mlp 32 | l2norm
tower m6432 = embed dim=32 fields=hist | mlp 64 32 | l2norm
tower r1 = embed dim=32 fields=hist | interests k=1 via=routing proj=none | l2norm
tower rk = embed dim=32 fields=hist | interests k=$mk via=routing proj=none | l2norm
model mean = twotower mean i0 sim=cos temp=0.05 loss=softmax
model m32 = mean with user=m32
model m6432 = mean with user=m6432
model r1 = mean with user=r1
model rk = mean with user=rk
train mean epochs=20 batch=256 lr=0.01 opt=adam valid=off
train m32 epochs=20 batch=256 lr=0.01 opt=adam valid=off
train m6432 epochs=20 batch=256 lr=0.01 opt=adam valid=off
train r1 epochs=20 batch=256 lr=0.01 opt=adam valid=off
train rk epochs=20 batch=256 lr=0.01 opt=adam valid=off
set output csv
eval mean split=test k=20
eval m32 split=test k=20
eval m6432 split=test k=20
eval r1 split=test k=20
eval rk split=test k=20
interests rk
TT
"$TTLAB" several.tt > several.out 2> several.err ||
    { cat several.out several.err; fail "ttlab several.tt: status $?"; }
s20() { awk -F, -v m="$1" '$1 == m && $2 == "test" { print $4 }' several.out; }
rk=$(s20 rk); r1=$(s20 r1); best=
for m in mean m32 m6432; do
    v=$(s20 $m)
    [ -n "$v" ] || { cat several.out; fail "no test recall@20 for $m"; }
    best=$(awk -v a="$v" -v b="${best:-0}" 'BEGIN { print (a > b ? a : b) }')
done
[ -n "$rk" ] && [ -n "$r1" ] || { cat several.out; fail "no test recall@20 for r1/rk"; }
awk -v k="$rk" -v o="$r1" 'BEGIN { exit !(k >= o + 0.08) }' ||
    bad "tastes=$mt: k=$mk interests' recall@20 $rk is not 0.08 above one interest's $r1"
awk -v k="$rk" -v b="$best" 'BEGIN { exit !(k >= b + 0.08) }' ||
    bad "tastes=$mt: k=$mk interests' recall@20 $rk is not 0.08 above the best single vector's $best"
echo "tastes=$mt: test recall@20 mean-pool $(s20 mean), mlp 32 $(s20 m32), mlp 64 32 $(s20 m6432), k=1 $r1, k=$mk $rk; win shares $(awk -F, '$1 == "rk" && $2 ~ /^[0-9]+$/ { printf "%s ", $6 }' several.out)"
# ---- cast: early interaction reads an OR over the item's fields ----
cat > cast.tt <<'TT'
set seed 1
load synthetic cast
split l2o
tower uc = embed dim=16 fields=fan | lightse | mlp 64 8 | l2norm
tower ic = embed dim=16 fields=cast1,cast2,cast3,cast4 | lightse | mlp 64 8 | l2norm
model dssm = twotower uc ic sim=cos temp=0.05 loss=softmax
model fe = dssm with interact=fe heads=1
train dssm epochs=20 batch=256 lr=0.01 opt=adam seeds=1,2
train fe epochs=20 batch=256 lr=0.01 opt=adam seeds=1,2
set output csv
compare dssm fe
TT
"$TTLAB" cast.tt > cast.out 2> cast.err || { cat cast.out cast.err; fail "ttlab cast.tt: status $?"; }
# test recall@20 of model M (the csv header names the columns)
r20() { awk -F, -v m="$1" '$1 == "model" { for (i = 1; i <= NF; i++) if ($i == "recall@20") c = i }
                            $1 == m && c { print $c }' cast.out; }
rd=$(r20 dssm); rf=$(r20 fe)
[ -n "$rd" ] && [ -n "$rf" ] || { cat cast.out; fail "compare: no recall@20 for dssm or fe"; }
awk -v f="$rf" -v d="$rd" 'BEGIN { exit !(f >= d + 0.010) }' ||
    bad "cast: the FE-Block's recall@20 $rf (seeds 1-2) is not clearly above DSSM's $rd (want >= +0.010)"
echo "cast: test recall@20 dssm $rd, fe $rf"
[ $fail = 0 ] && echo "ok: the planted structures are recovered"
exit $fail
