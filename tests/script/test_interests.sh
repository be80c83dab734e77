#!/bin/sh
# test_interests: the interests stage (multi-interest user towers) through the
# real ttlab: definitions print back and `with` changes them, training lowers
# the loss, eval and compare run on K vectors per user, a model file
# round-trips both extractors and label-aware attention's pow (same metrics
# after open, pow, iters and proj=none in the opened tower), export users writes K
# rows per user,
# and the `interests` read-out in table, CSV and JSON.
. "${top_srcdir:-.}/tests/script/lib.sh"
cd "$tmp" || exit 1
cat > run.tt <<'TT'
set seed 1
load synthetic tiny
split l2o
tower m = embed dim=8 | interests k=3 via=attention out=16 | l2norm
tower r = m with interests via=routing k=4 out=16
tower i = embed dim=8 | mlp 32 16 | l2norm
model a = twotower m i
model b = twotower r i loss=inbatch
tower p = embed dim=8 | interests k=3 out=16 pow=8 | l2norm
model c = twotower p i
tower one = embed dim=8 | interests k=1 out=16 | l2norm
model d = twotower one i
tower n = embed dim=16 fields=hist | interests k=3 via=routing iters=5 proj=none | l2norm
tower j = embed dim=16 fields=item_id | l2norm
model e = twotower n j
train d epochs=1
train e epochs=3
train a epochs=3
train b epochs=3
train c epochs=3
set output csv
eval a split=test
eval b split=test
eval c split=test
eval d split=test
eval e split=test
save e e.ttm
open e.ttm as e2
eval e2 split=test
save a a.ttm
save b b.ttm
save c c.ttm
open a.ttm as a2
open b.ttm as b2
open c.ttm as c2
eval a2 split=test
eval b2 split=test
eval c2 split=test
compare a b
export b users b.tsv
export a users a.npy
interests b
set output json
interests a user=1 top=2
set output table
show tower r
interests a user=1 top=2
TT
"$TTLAB" run.tt > out.txt 2> err.txt || { cat out.txt err.txt; fail "ttlab run.tt: status $?"; }
grep -q '^tower r = embed dim=8 | interests k=4 via=routing out=16 | l2norm$' out.txt ||
  { cat out.txt; fail "with interests via=routing k=4 does not print back"; }
# pow, iters and proj travel in the model file (MINT): they print back, and a fresh
# session shows them in the opened tower
for t in 'c:tower p = embed dim=8 | interests k=3 via=attention out=16 pow=8 | l2norm' \
         'e:tower n = embed dim=16 fields=hist | interests k=3 via=routing iters=5 proj=none | l2norm'; do
  f=${t%%:*}; line=${t#*:}
  grep -qxF "$line" out.txt || { cat out.txt; fail "'$line' does not print back"; }
  "$TTLAB" -c "load synthetic tiny; split l2o; open $f.ttm as ${f}2; show towers" > o.txt 2>&1 ||
    { cat o.txt; fail "open $f.ttm: status $?"; }
  grep -qxF "$line" o.txt || { cat o.txt; fail "'$line' lost through save/open"; }
done
for mdl in a b c e; do
  l1=$(sed -n "s/^$mdl epoch 1\/3: loss \([0-9.]*\).*/\1/p" out.txt err.txt)
  l3=$(sed -n "s/^$mdl epoch 3\/3: loss \([0-9.]*\).*/\1/p" out.txt err.txt)
  awk -v a="$l1" -v b="$l3" 'BEGIN { exit !(b < a) }' || fail "$mdl: loss did not go down ($l1 -> $l3)"
  x=$(grep "^$mdl,test," out.txt); y=$(grep "^${mdl}2,test," out.txt | sed "s/^${mdl}2,/$mdl,/")
  [ -n "$x" ] && [ "$x" = "$y" ] || fail "$mdl: metrics differ after save/open: '$x' vs '$y'"
done
grep -q '^model,split' out.txt || fail "no eval header"
# one interest (k=1) is one vector per user: training's valid evaluation and
# eval read it as such (it was refused as a multi-vector model)
grep -q '^d,test,' out.txt || { cat out.txt err.txt; fail "k=1: no eval row"; }
# compare: a row per model
[ "$(grep -c '^[ab],' out.txt)" -ge 4 ] || { cat out.txt; fail "compare printed no rows"; }
# export: 300 test users x 4 interests; header user, interest, active, history
[ "$(grep -c '' b.tsv)" -eq 1200 ] || fail "b.tsv has $(grep -c '' b.tsv) rows, want 1200"
meta=$(ls b*.tsv | grep -v '^b.tsv$' | head -1)
head -1 "$meta" | grep -q "^user	interest	active	history" || fail "metadata header: $(head -1 "$meta")"
grep -q 'exported 900 user vectors of dim 16 to a.npy (3 interests per user' out.txt ||
  { cat out.txt; fail "export a users .npy message"; }
# the read-out: one CSV row per interest; JSON rows carry titles or null
[ "$(grep -c '^b,[1-4],' out.txt)" -eq 4 ] || { cat out.txt; fail "interests b: want 4 rows"; }
grep -q '^{"event":"interests","user":"1","interest":1,"rank":1,"item":' out.txt ||
  { cat out.txt; fail "interests JSON rows"; }
grep -q 'user 1: 3 of 3 interests active (history of [0-9]* items); interest [123] scores' out.txt ||
  { cat out.txt; fail "interests table footer"; }
# an item-side interests stage and a model without the stage are refused
"$TTLAB" -c 'load synthetic tiny; split l2o; tower m = embed dim=8 | interests k=2 out=8; model x = twotower m m' > e1.txt 2>&1 && fail "an item-side interests stage was accepted"
grep -q 'tower m: interests is a user-tower stage (it reads the user.s history), but m is the item tower here' e1.txt ||
  { cat e1.txt; fail "item-side message"; }
"$TTLAB" -c 'load synthetic tiny; split l2o; tower u = embed dim=8 | mlp 8; model x = twotower u u; train x epochs=1; interests x' > e2.txt 2>&1 && fail "interests of a one-vector model ran"
grep -q "model 'x' has no interests stage" e2.txt || { cat e2.txt; fail "no-stage message"; }
echo "ok: interests definitions, training, eval, compare, model files, export, read-out"
