#!/bin/sh
# inspect_cmd.sh: `weights`, `weights by=`, `ablate` and `plot weights|senet`
# through the real ttlab on the generated default data with a fixed seed: the
# output names every feature of each tower exactly once, groups add up,
# every feature is ablated, the plots are real files.
. "${top_srcdir:-.}/tests/script/lib.sh"
if ! printf 'help weights\n' | "$TTLAB" 2>&1 | grep -q 'usage: weights'; then
  echo "SKIP: this ttlab has no weights command yet"; exit 77
fi
cd "$tmp" || exit 1
cat > run.tt <<'TT'
load synthetic seed=42
split l2o
tower us = embed dim=16 | senet r=2 | mlp 32 | l2norm
tower is = embed dim=16 | senet r=2 | mlp 32 | l2norm
model se = twotower us is
train se epochs=1 seed=1
set output csv
features
weights se
weights se tower=user by=activity
weights se tower=item by=category
ablate se split=valid
ablate se slot mode=shuffle split=valid
TT
"$TTLAB" run.tt > out.txt 2> err.txt || { cat out.txt err.txt; fail "ttlab run.tt: status $?"; }
if grep -q 'not implemented in this build' out.txt err.txt; then echo "SKIP: engine parts missing"; exit 77; fi

kinds='\(categorical\|numeric\|set\|sequence\)'
user_f=$(sed -n "s/^\([A-Za-z0-9_]*\),\(user\|context\),$kinds,.*/\1/p" out.txt)
item_f=$(sed -n "s/^\([A-Za-z0-9_]*\),item,$kinds,.*/\1/p" out.txt)
[ "$(echo $user_f | wc -w)" -ge 3 ] && [ "$(echo $item_f | wc -w)" -ge 2 ] || fail "features not listed"

# weights: one row per feature and tower, a yes/no flag, the excitation verdict, ranked by mean
for f in $user_f; do
  n=$(grep -c "^se,user,$f,[0-9.]*,[0-9.]*,[0-9.]*,[0-9.]*,\(yes\|no\),\(varies\|constant\)$" out.txt)
  [ "$n" -eq 1 ] || fail "weights: user feature $f in $n rows"
done
for f in $item_f; do
  n=$(grep -c "^se,item,$f,[0-9.]*,[0-9.]*,[0-9.]*,[0-9.]*,\(yes\|no\),\(varies\|constant\)$" out.txt)
  [ "$n" -eq 1 ] || fail "weights: item feature $f in $n rows"
done
for side in user item; do
  grep "^se,$side," out.txt | cut -d, -f4 | sort -g -r -c 2>/dev/null || fail "weights of the $side tower not ranked by mean"
done

# by=activity (users all have 38 training interactions here: one group of all
# 2000 valid examples); by=category on items: counts add up to the items
hdr=$(grep '^activity,count,' out.txt | head -n 1)
for f in $user_f; do echo "$hdr" | grep -q ",$f\(,\|$\)" || fail "by=activity header lacks $f: $hdr"; done
grep -q '^38-38 train interactions,2000,' out.txt || fail "by=activity: not one group of 2000"
total=$(awk -F, '/^category,count,/ {on=1; next} /^#/ {on=0} on {s+=$2} END {print s}' out.txt)
[ "$total" = 1000 ] || fail "by=category: counts add up to $total, not 1000 items"

# ablate: every feature of the model, against the intact row
for f in $user_f $item_f; do
  grep -q "^se,$f,\(user\|context\|item\),[0-9.]*,[0-9.]*," out.txt || fail "ablate: no row for $f"
done
grep -q '^se,(none),-,' out.txt || fail "ablate: no intact row"
grep -q '^# zeroed features on valid' out.txt || fail "ablate: no zeroed footer"
grep -q '^# shuffled features on valid' out.txt || fail "ablate: no shuffled footer"
echo "ok: weights, weights by=, ablate name every feature"

# plots of the weights and their history (files; gnuplot is optional)
if command -v gnuplot >/dev/null 2>&1; then
  printf 'load synthetic tiny\nsplit l2o\ntower us = embed dim=8 | senet | mlp 16 | l2norm\nmodel se = twotower us us\ntrain se epochs=2 seed=1\nplot weights se file=w.svg\nplot weights-history se tower=item file=h.png\n' \
    | "$TTLAB" > plot.txt 2>&1 || { cat plot.txt; fail "plot run failed"; }
  grep -q '^<svg' w.svg || fail "w.svg is not an SVG"
  for f in $user_f; do
    grep -q ">$f<\|$f" w.svg || fail "w.svg lacks feature $f"
  done
  [ "$(head -c 4 h.png | od -An -tx1 | tr -d ' \n')" = 89504e47 ] || fail "h.png is not a PNG"
  echo "ok: plot weights / senet"
fi
# a model trained with seeds= plots one curve per seed (dumb terminal: the key is text)
if command -v gnuplot >/dev/null 2>&1; then
  printf 'load synthetic tiny\nsplit l2o\ntower u = embed dim=8 | mlp 16\nmodel m = twotower u u\ntrain m epochs=3 seeds=1,2\nplot recall m term=dumb\nplot loss m term=dumb\n' \
    | "$TTLAB" > seeds.txt 2>&1 || { cat seeds.txt; fail "seeds plot run failed"; }
  [ "$(grep -c 'm seed 1' seeds.txt)" -eq 2 ] && [ "$(grep -c 'm seed 2' seeds.txt)" -eq 2 ] \
    || { cat seeds.txt; fail "plot recall/loss after seeds=1,2: not one curve per seed"; }
  echo "ok: one curve per seed"
fi
exit 0
