#!/bin/sh
# test_session_errors: every error path of the language, as a person meets it:
# the exact message, its position (FILE:LINE[:COL]), the exit status, and that
# nothing after a failing line runs (unless --keep-going) nor is lost.
# With the engine present, also the model file round trip and its refusals.
set -u
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail=0
n=0

# expect STATUS 'stderr line' 'stdout grep or -' -- ttlab args...
expect() {
  st=$1; err=$2; out=$3; shift 4
  n=$((n + 1))
  "$TTLAB" "$@" > out.txt 2> err.txt < "${STDIN:-/dev/null}"
  got=$?
  if [ "$got" != "$st" ]; then
    echo "case $n ($*): exit $got, want $st"; cat err.txt; fail=1
  fi
  if [ "$err" != - ] && ! grep -qxF -- "$err" err.txt; then
    echo "case $n ($*): stderr lacks the line: $err"; echo "--- got:"; cat err.txt; fail=1
  fi
  if [ "$out" != - ] && ! grep -qF -- "$out" out.txt; then
    echo "case $n ($*): stdout lacks: $out"; echo "--- got:"; cat out.txt; fail=1
  fi
}
# not_in FILE TEXT: TEXT must not appear
not_in() { if grep -qF -- "$2" "$1"; then echo "case $n: '$2' should not be in $1"; fail=1; fi; }

cat > line3.tt <<'T'
tower u = embed dim=16 | mlp 64 32 | l2norm
echo first
train dssm epochs=20 lrr=0.001
echo not reached
T
expect 1 "line3.tt:3: error: unknown option 'lrr' for train: did you mean 'lr'?" "first" -- line3.tt
not_in out.txt "not reached"
expect 1 "line3.tt:3: error: unknown option 'lrr' for train: did you mean 'lr'?" "not reached" -- --keep-going line3.tt
STDIN=line3.tt expect 1 "<stdin>:3: error: unknown option 'lrr' for train: did you mean 'lr'?" "first" --
unset STDIN
expect 1 "<command line>:1: error: unknown command 'trian': did you mean 'train'?" - -- -c 'trian dssm'
expect 1 "<command line>:1: error: unknown command 'exit': did you mean 'quit'?" - -- -c 'exit'
expect 1 "<command line>:1: error: unknown command 'frobnicate' (type 'help' for the list)" - -- -c 'frobnicate'
expect 1 - '{"event":"error","file":"<command line>","line":1,"message":"unknown command '"'trian'"': did you mean '"'train'"'?"}' -- --json -c 'trian'

# values are checked before anything runs
expect 1 "<command line>:1: error: epochs must be at least 1 (got -1)" - -- -c 'train m epochs=-1'
expect 1 "<command line>:1: error: epochs must be at most 2147483647 (got 3000000000)" - -- -c 'train m epochs=3000000000'
expect 1 "<command line>:1: error: batch must be at least 1 (got 0)" - -- -c 'train m batch=0'
expect 1 "<command line>:1: error: unknown opt 'adamw' (expected sgd, adagrad or adam): did you mean 'adam'?" - -- -c 'train m opt=adamw'
expect 1 "<command line>:1: error: lr needs a number, got 'fast'" - -- -c 'train m lr=fast'
expect 1 "<command line>:1: error: lr must be greater than 0 (got 0)" - -- -c 'train m lr=0'
expect 1 "<command line>:1: error: seeds needs a comma list of whole numbers, got '1,x'" - -- -c 'train m seeds=1,x'
expect 1 "<command line>:1: error: option 'epochs' given twice" - -- -c 'train m epochs=1 epochs=2'
expect 1 "<command line>:1: error: unknown split 'tset' (expected valid or test): did you mean 'test'?" - -- -c 'eval m split=tset'
expect 1 "<command line>:1: error: users must be at most 10000000 (got 2000000000)" - -- -c 'load synthetic users=2000000000'
expect 1 "<command line>:1: error: option 'user_file' applies to 'load csv' only" - -- -c 'load synthetic user_file=x'
expect 1 "<command line>:1: error: unknown dataset kind 'movielen': did you mean 'movielens'?" - -- -c 'load movielen x'
expect 1 "<command line>:1: error: unknown synthetic preset 'tinny': did you mean 'tiny'?" - -- -c 'load synthetic tinny'
expect 1 "<command line>:1: error: train needs an argument: usage: train MODEL [key=value ...]" - -- -c 'train'
expect 1 "<command line>:1: error: too many arguments for quit ('now'): usage: quit" - -- -c 'quit now'
expect 1 "<command line>:1: error: unknown setting 'dashbord': did you mean 'dashboard'?" - -- -c 'set dashbord off'
expect 1 "<command line>:1: error: dashboard is on or off, got 'maybe'" - -- -c 'set dashboard maybe'
expect 1 "<command line>:1: error: no model 'dsm' (no models defined yet: see 'help model')" - -- -c 'eval dsm'
expect 1 "<command line>:1: error: no model 'dsm': did you mean 'dssm'?" - -- -c 'tower u = embed | mlp 8; model dssm = twotower u u; eval dsm'
expect 1 "<command line>:1: error: no dataset loaded: use 'load' first (e.g. load synthetic)" - -- -c 'split l2o'
expect 1 "<command line>:1: error: unknown split 'l20': did you mean 'l2o'?" - -- -c 'split l20'
expect 1 "<command line>:1:16: error: unterminated double quote" - -- -c 'load movielens "abc'

# tower definitions: the column of the offending stage
cat > tower.tt <<'T'
tower u = embed dim=16 | mlp 64 32 | l2norm
tower x = embed dim=16 | mlpp 64 | l2norm
T
expect 1 "tower.tt:2:26: error: unknown stage 'mlpp': did you mean 'mlp'?" - -- tower.tt
expect 1 "<command line>:1:11: error: dim must be at most 4096 (got 1000000000)" - -- -c 'tower x = embed dim=1000000000 | mlp 8'
expect 1 "<command line>:1:19: error: unknown option 'rr' for senet: did you mean 'r'?" - -- -c 'tower x = embed | senet rr=2 | mlp 8'
expect 1 "<command line>:1:19: error: unknown gate 'tanh' (expected sigmoid or relu)" - -- -c 'tower x = embed | senet gate=tanh'
expect 1 "<command line>:1:11: error: a tower starts with embed (got 'mlp')" - -- -c 'tower x = mlp 8'
expect 1 "<command line>:1:23: error: mlp width must be between 1 and 65536, got 0" - -- -c 'tower x = embed | mlp 0'
expect 1 "<command line>:1:36: error: no tower 'uu': did you mean 'u'?" - -- -c 'tower u = embed | mlp 8; tower x = uu with senet'
expect 1 "<command line>:1: error: unknown model kind 'twotowr': did you mean 'twotower'?" - -- -c 'model m = twotowr a b'
expect 1 "<command line>:1: error: unknown option 'tmp' for model: did you mean 'temp'?" - -- -c 'tower u = embed | mlp 8; model m = twotower u u tmp=0.1'
expect 1 "<command line>:1: error: logq applies to loss=inbatch or loss=sampled only" - -- -c 'tower u = embed | mlp 8; model m = twotower u u logq=on'

# state survives errors (as at the prompt): the tower and model stay
expect 1 - "tower u = embed dim=8 | senet r=2 | mlp 8" -- --keep-going -c 'tower u = embed dim=8 | mlp 8; tower u2 = u with senet r=2 gate=nope; tower u = u with senet r=2; model m = twotower u nope; show tower u; list towers'
not_in out.txt "u2"

# source: positions inside the sourced file, nesting limit
printf 'echo in\nsource loop.tt\n' > loop.tt
expect 1 "loop.tt:2: error: source nested too deeply (more than 16 levels): a file sourcing itself?" "in" -- loop.tt
printf 'echo outer\nsource inner.tt\necho after\n' > outer.tt
printf 'echo inner\ntrain m batch=-5\necho inner after\n' > inner.tt
expect 1 "inner.tt:2: error: batch must be at least 1 (got -5)" "inner" -- outer.tt
not_in out.txt "after"
expect 1 "<command line>:1: error: cannot open 'nope.tt': No such file or directory" - -- -c 'source nope.tt'

# invocation
expect 2 "ttlab: unknown option '--jsn': did you mean '--json'?" - -- --jsn -c help
expect 2 "ttlab: -c needs the commands to run: ttlab -c 'help'" - -- -c
expect 2 "ttlab: cannot open 'missing.tt': No such file or directory" - -- missing.tt
expect 0 - "ttlab 0.1.0" -- --version
expect 0 - "usage: ttlab" -- --help
expect 0 - "  train     train a model" -- -c help
expect 0 - "  epochs=20          passes over the training examples (as many as memory allows) (1..2147483647)" -- -c 'help train'
expect 0 - "  tr" -- -c 'help tr'

# variables
expect 1 "<command line>:1: error: undefined variable 'EPOCHSS' (define it with 'let EPOCHSS = VALUE', or in the environment)" - -- -c 'train m epochs=$EPOCHSS'
expect 0 - "dim=4 epochs=7 data=/x alpha beta" -- -D E=7 -c 'let D = 4; let W = alpha beta; echo dim=$D epochs=${E} data=${NODATA:-/x} $W'
expect 0 - 'literal $D' -- -c "echo 'literal \$D'"
expect 2 "ttlab: -D needs NAME=VALUE: ttlab -D EPOCHS=2 FILE.tt" - -- -D oops -c help
expect 1 "<command line>:1: error: MovieLens-100K not found: get it with datasets/fetch-movielens.sh" - -- -c 'require /no/such/u.data "MovieLens-100K not found: get it with datasets/fetch-movielens.sh"'
expect 1 "<command line>:1: error: required '/no/such' not found" - -- -c 'require /no/such'
expect 0 - "after" -- -c 'require /; echo after'

# output modes
expect 0 - '{"event":"tower","name":"u","definition":"tower u = embed dim=16 | mlp 64 32 | l2norm"}' -- --json -c 'tower u = embed | mlp 64 32 | l2norm'
expect 0 - 'setting,value,about' -- -c 'set output csv; show'
expect 0 - '{"event":"note","text":"it'"'"'s here # too"}' -- --json -c "note it's here # too; echo x"
expect 0 - '{"event":"echo","text":"x; y"}' -- --json -c "note it's here # too; echo \"x; y\""

# ---- with the engine: model files ----
if ! "$TTLAB" -c 'load synthetic tiny; split l2o; model p = popularity; eval p' > /dev/null 2>&1; then
  echo "engine not available: model file cases skipped"
  exit $fail
fi
cat > rt.tt <<'T'
set seed 3
set threads 1
load synthetic tiny
split l2o
tower u = embed dim=8 | mlp 16 | l2norm
model m = twotower u u loss=inbatch
train m epochs=2 batch=128
eval m
save m m.ttm
open m.ttm as m2
eval m2
model pop = popularity
save pop pop.ttm
open pop.ttm as pop2
eval pop
eval pop2
export m2 items items.npy
export m2 users users.tsv
export m metrics metrics.json
T
expect 0 - '"event":"save","model":"m"' -- --json rt.tt
grep '"event":"eval"' out.txt | sed 's/"model":"[a-z0-9]*",//' > evals.txt
if [ "$(sed -n 1p evals.txt)" != "$(sed -n 2p evals.txt)" ] || [ "$(sed -n 3p evals.txt)" != "$(sed -n 4p evals.txt)" ]; then
  echo "reopened models evaluate differently:"; cat evals.txt; fail=1
fi
[ "$(wc -l < evals.txt)" = 4 ] || { echo "expected 4 evals"; cat out.txt err.txt; fail=1; }
# .npy: magic, version 1.0, header says float32 C order (rows, 16)
[ "$(head -c 8 items.npy | od -An -c | tr -d ' \n')" = "223NUMPY001\\0" ] || { echo "bad npy magic"; od -c items.npy | head -2; fail=1; }
head -c 128 items.npy | grep -qF "{'descr': '<f4', 'fortran_order': False, 'shape': (200, 16), }" || { echo "bad npy header"; fail=1; }
[ "$(wc -c < items.npy)" = $((128 + 200 * 16 * 4)) ] || { echo "bad npy size"; fail=1; }
for py in python3 /usr/bin/python3; do
  if command -v $py >/dev/null 2>&1 && $py -c 'import numpy' 2>/dev/null; then
    $py -c 'import numpy as np; a = np.load("items.npy"); assert a.shape == (200, 16) and a.dtype == np.float32, a.shape' || { echo "numpy.load failed"; fail=1; }
    break
  fi
done
[ "$(head -1 users.meta.tsv)" = "$(printf 'user\thistory')" ] || { echo "bad metadata header"; fail=1; }
[ "$(wc -l < users.tsv)" = "$(($(wc -l < users.meta.tsv) - 1))" ] || { echo "vectors and metadata differ in length"; fail=1; }
grep -q '"part":"test"' metrics.json || { echo "metrics.json lacks the test row"; fail=1; }

# several seeds: compare gives mean and std; weights and ablate name every feature
cat > seeds.tt <<'T'
set threads 1
load synthetic tiny
split l2o
tower us = embed dim=8 | senet r=2 | mlp 16 | l2norm
tower i = embed dim=8 | mlp 16 | l2norm
model se = twotower us i loss=inbatch
train se epochs=1 batch=256 seeds=1,2
compare se
weights se tower=user
ablate se zip
T
expect 0 - '"event":"compare","model":"se"' -- --json seeds.tt
grep '"event":"compare"' out.txt | grep -q '"seeds":2,' || { echo "compare lacks seeds 2"; cat out.txt; fail=1; }
grep '"event":"compare"' out.txt | grep -q '"recall@20_std":[0-9]' || { echo "compare lacks a std"; fail=1; }
[ "$(grep -c '"event":"train_end"' out.txt)" = 2 ] || { echo "want a train_end per seed"; fail=1; }
for f in user_id taste age region zip hist mode slot; do
  grep '"event":"weights"' out.txt | grep -q "\"feature\":\"$f\"" || { echo "weights lacks $f"; fail=1; }
done
grep -q '"event":"ablate","model":"se","feature":"zip"' out.txt || { echo "no ablate row for zip"; fail=1; }

# refusals, each with its own message; the session keeps going
size=$(wc -c < m.ttm)
head -c $((size - 10)) m.ttm > trunc.ttm
cp m.ttm flip.ttm; printf '\377' | dd of=flip.ttm bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
cp m.ttm ver.ttm; printf '\002' | dd of=ver.ttm bs=1 seek=8 conv=notrunc 2>/dev/null
printf 'hello' > text.ttm
expect 1 "<command line>:1: error: 'trunc.ttm' is truncated: $((size - 10)) bytes, the header says $size" - -- -c 'load synthetic tiny; open trunc.ttm'
expect 1 "<command line>:1: error: 'flip.ttm' is corrupted: checksum mismatch (the file was changed or damaged after saving)" - -- -c 'load synthetic tiny; open flip.ttm'
expect 1 "<command line>:1: error: 'ver.ttm' is a version 2 model file; this ttlab reads version 1" - -- -c 'load synthetic tiny; open ver.ttm'
expect 1 "<command line>:1: error: 'text.ttm' is not a ttlab model file (no TTLABMOD magic)" - -- -c 'load synthetic tiny; open text.ttm'
expect 1 "<command line>:1: error: cannot open 'm.ttm': schema mismatch: the model was saved from dataset 'synthetic' (300 users, 200 items); the current dataset 'synthetic' has 1000 users and 500 items" - -- -c 'load synthetic small; open m.ttm'
expect 1 "<command line>:1: error: open needs the dataset 'synthetic' the model was trained on (synthetic users=300 items=200 clusters=4 per_user=20 seed=42; split l2o hist=20): load it first" - -- -c 'open m.ttm'
expect 1 "<command line>:1: error: export items writes .npy or .tsv, not 'x.txt'" - -- -c 'load synthetic tiny; split l2o; open m.ttm; export m items x.txt'
expect 1 "<command line>:1: error: model 'm' is not trained yet: run 'train m'" - -- -c 'load synthetic tiny; split l2o; tower u = embed | mlp 8; model m = twotower u u; eval m'
# a failed save leaves the old file intact
cp m.ttm keep.ttm
expect 1 - - -- -c 'load synthetic tiny; split l2o; open m.ttm; save m /nonexistent/dir/x.ttm'
cmp -s m.ttm keep.ttm || { echo "m.ttm changed"; fail=1; }
ls | grep -q '\.tmp\.' && { echo "temporary files left behind"; ls; fail=1; }
# a fitted model takes no batches: no batch warning for it, one for the two-tower model
printf 'user,item\n1,a\n1,b\n2,a\n2,c\n3,b\n3,c\n3,a\n4,a\n4,b\n4,c\n' > small.csv
expect 0 "<command line>:1: warning: batch 256 is larger than the 8 training examples" - -- -c 'load csv small.csv; split random; model p = popularity; train p; tower u = embed dim=4 | mlp 4; model m = twotower u u; train m epochs=1'
[ "$(grep -c 'batch 256' err.txt)" = 1 ] || { echo "case $n: the batch warning should appear once (for m only)"; cat err.txt; fail=1; }
exit $fail
