#!/bin/sh
# test_interact: IntTower's FE-Block and CIR and DAT's category alignment
# through the real ttlab: the definition prints back with its options,
# training lowers the loss, a model file round-trips them (same metrics
# after open, the options restored), `with` keeps them, `weights` reads the
# Light-SE stage of an FE-Block model, commands without an FE scorer refuse.
. "${top_srcdir:-.}/tests/script/lib.sh"
cd "$tmp" || exit 1
cat > run.tt <<'TT'
set seed 1
load synthetic tiny
split l2o
tower u = embed dim=8 | lightse | mlp 32 16 | l2norm
tower i = embed dim=8 | lightse | mlp 32 16 | l2norm
model a = twotower u i interact=fe heads=4 cir=0.1 dat_ca=0.5
train a epochs=3
set output csv
eval a split=test
save a a.ttm
open a.ttm as b
eval b split=test
set output table
show model b
model c = b with loss=inbatch
weights b tower=item
TT
"$TTLAB" run.tt > out.txt 2> err.txt || { cat out.txt err.txt; fail "ttlab run.tt: status $?"; }
grep -q '^model a = twotower u i .* interact=fe heads=4 cir=0.1 dat_ca=0.5$' out.txt || { cat out.txt; fail "definition does not print interact=fe heads=4 cir=0.1 dat_ca=0.5"; }
grep -q 'model b = .*interact=fe heads=4 cir=0.1 dat_ca=0.5' out.txt || { cat out.txt; fail "show model b lost the options"; }
grep -q '^model c = .*loss=inbatch interact=fe heads=4 cir=0.1 dat_ca=0.5' out.txt || fail "with lost the options"
l1=$(cat out.txt err.txt | sed -n 's/^a epoch 1\/3: loss \([0-9.]*\).*/\1/p'); l3=$(cat out.txt err.txt | sed -n 's/^a epoch 3\/3: loss \([0-9.]*\).*/\1/p')
awk -v a="$l1" -v b="$l3" 'BEGIN { exit !(b < a) }' || fail "loss did not go down ($l1 -> $l3)"
a=$(grep '^a,test,' out.txt); b=$(grep '^b,test,' out.txt | sed 's/^b,/a,/')
[ -n "$a" ] && [ "$a" = "$b" ] || fail "metrics differ after save/open: '$a' vs '$b'"
grep -q 'Light-SE' out.txt || { cat out.txt; fail "weights b printed no Light-SE weights"; }
grep -q 'category' out.txt || fail "weights b tower=item does not name the item fields"
# ablate and beyond=on score an FE model by its own rule: ablate's baseline
# row is eval's recall, zeroing an item field (read through the item
# vectors) moves it; beyond's coverage grows with K; weights --json names
# the stage
cat > fe2.tt <<'TT'
set seed 1
load synthetic tiny
split l2o
tower u = embed dim=8 | lightse | mlp 32 16 | l2norm
tower i = embed dim=8 | senet r=2 | mlp 32 16 | l2norm
model a = twotower u i interact=fe heads=4 cir=0.1
train a epochs=3
eval a split=test
ablate a category item_id split=test
eval a split=test beyond=on
weights a
TT
"$TTLAB" --json fe2.tt > fe2.txt 2> fe2.err || { cat fe2.txt fe2.err; fail "ablate/beyond of an FE model failed"; }
r=$(grep '"event":"eval"' fe2.txt | head -1 | sed 's/.*"recall@20":\([0-9.e-]*\).*/\1/')
r0=$(grep '"event":"ablate"' fe2.txt | grep '"feature":"(none)"' | sed 's/.*"recall@20":\([0-9.e-]*\).*/\1/')
[ -n "$r" ] && [ "$r" = "$r0" ] || fail "ablate's baseline recall@20 '$r0' is not eval's '$r'"
rc=$(grep '"event":"ablate"' fe2.txt | grep '"feature":"category"' | sed 's/.*"recall@20":\([0-9.e-]*\).*/\1/')
[ -n "$rc" ] && [ "$rc" != "$r" ] || fail "zeroing category left an FE model's recall@20 at '$rc' (eval '$r')"
b=$(grep '"event":"eval"' fe2.txt | sed -n 2p)
c10=$(echo "$b" | sed 's/.*"coverage@10":\([0-9.e-]*\).*/\1/'); c50=$(echo "$b" | sed 's/.*"coverage@50":\([0-9.e-]*\).*/\1/')
awk -v a="$c10" -v b="$c50" 'BEGIN { exit !(a > 0 && a <= b && b <= 1) }' || { echo "$b"; fail "beyond=on of an FE model: coverage@10 '$c10', @50 '$c50'"; }
grep -q '"side":"user",.*"stage":"lightse"' fe2.txt || fail "weights --json: the user rows do not name stage lightse"
grep -q '"side":"item",.*"stage":"senet"' fe2.txt || fail "weights --json: the item rows do not name stage senet"
# a command that needs one vector per item says so
"$TTLAB" -c 'set seed 1; load synthetic tiny; split l2o; tower u = embed dim=8 | mlp 16; tower i = embed dim=8 | mlp 16; model a = twotower u i interact=fe heads=2; train a epochs=1; export a items x.npy' > o2.txt 2>&1 && fail "export of an FE model succeeded"
grep -q 'scores items by the FE-Block (several vectors per item, interact=fe)' o2.txt || { cat o2.txt; fail "export of an FE model: no clear error"; }
echo "ok: interact=fe cir dat_ca definition, training, model file, weights"
