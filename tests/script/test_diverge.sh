#!/bin/sh
# test_diverge: a learning rate that blows up (lr=100, SGD, dot product) is
# caught: training stops with FILE:LINE: error naming what diverged, the
# train_end event says so, the model stays usable with finite parameters
# (eval gives numbers, the exported embeddings hold no NaN or Inf), and a
# model trained before keeps working. Skipped without the engine.
set -u
. "${top_srcdir:-.}/tests/script/lib.sh"
cd "$tmp" || exit 99
"$TTLAB" -c 'load synthetic tiny; split l2o; tower u = embed dim=4 | mlp 4; model m = twotower u u; train m epochs=1' \
  > /dev/null 2>&1 || { echo "engine not available"; exit 77; }

cat > div.tt <<'T'
set dashboard off
set progress off
load synthetic tiny
split l2o
tower u = embed dim=4 | mlp 8
model m = twotower u u sim=dot temp=1
train m epochs=3 lr=100 opt=sgd
eval m
export m items items.tsv
export m users users.tsv
T
"$TTLAB" --json --keep-going div.tt > out 2> err
st=$?
[ $st = 1 ] || bad "exit $st, want 1 (one failed command)"
grep -Eq '^div\.tt:7: error: training of m diverged \((loss|gradient|parameter).* is not finite\)' err ||
  { bad "no 'div.tt:7: error: training of m diverged (... is not finite)':"; cat err; }
grep -q '"event":"train_end","model":"m".*"diverged":"' out || { bad "train_end does not say diverged:"; cat out; }
grep -q '"event":"eval","model":"m".*"recall@10":[0-9]' out || { bad "eval after divergence:"; cat out; }
grep -qi 'nan\|inf' out && { bad "NaN or Inf in the results:"; cat out; }
for f in items.tsv users.tsv; do
  [ -s $f ] || { bad "$f not written"; continue; }
  grep -qi 'nan\|inf' $f && bad "$f holds NaN or Inf: the parameters were not restored"
done

# A model trained well, then pushed over the edge: still there, still finite.
cat > again.tt <<'T'
set dashboard off
set progress off
load synthetic tiny
split l2o
tower u = embed dim=4 | mlp 8
model m = twotower u u sim=dot
train m epochs=2
train m epochs=2 lr=1000 opt=sgd
list models
eval m
T
"$TTLAB" --json --keep-going again.tt > out 2> err
grep -q '^again\.tt:8: error: training of m diverged' err || { bad "again.tt:8 not reported:"; cat err; }
grep -q '"event":"eval","model":"m".*"recall@10":[0-9]' out || { bad "eval after the second run:"; cat out err; }
grep -qi 'nan\|inf' out && { bad "NaN or Inf after the second run:"; cat out; }

# In a script without --keep-going, divergence stops the script (exit 1).
sed -i 's/^eval m$/echo not reached/' div.tt
"$TTLAB" div.tt > out 2> err
st=$?
[ $st = 1 ] || bad "without --keep-going: exit $st, want 1"
grep -q 'not reached' out && bad "the script went on after divergence"
exit $fail
