#!/bin/sh
# test_tune_slices: `tune` chooses on valid and never on test, and the slices
# of `eval by=` add up to the whole.
# Tune: on a grid where the best setting by valid and the best by test differ
# (checked here from separate evals, so the test can fail), tune must keep
# the valid one; a tune that looked at test would keep the other.
# Slices: the counts sum to the part's examples, and the slices' recall@20
# weighted by their users gives the whole part's recall@20.
set -u
. "${top_srcdir:-.}/tests/script/lib.sh"
cd "$tmp" || exit 99
num() { sed -n "s/.*\"$1\":\([-0-9.e]*\).*/\1/p"; }

grid="10 20 50 100"
for k in $grid; do
  "$TTLAB" --json -c "load synthetic small; split l2o; model m = itemknn k=$k; train m; eval m split=valid k=20; eval m split=test k=20" \
    2>/dev/null | grep '"event":"eval"' > "ev$k" || { bad "itemknn k=$k did not run"; }
  printf '%s %s %s\n' "$k" "$(grep '"split":"valid"' "ev$k" | num 'recall@20')" \
    "$(grep '"split":"test"' "ev$k" | num 'recall@20')" >> table
done
best_valid=$(sort -k2,2gr -k1,1n table | head -n 1 | cut -d' ' -f1)
best_test=$(sort -k3,3gr -k1,1n table | head -n 1 | cut -d' ' -f1)
[ "$best_valid" != "$best_test" ] ||
  bad "the grid does not tell valid from test (both pick k=$best_valid): choose another grid"
"$TTLAB" --json -c "load synthetic small; split l2o; model m = itemknn; tune m k=$(echo $grid | tr ' ' ,)" \
  > tune.out 2> tune.err || bad "tune failed: $(cat tune.err)"
n=$(grep -c '"event":"tune"' tune.out)
[ "$n" = 4 ] || bad "tune printed $n setting lines, want 4"
picked=$(grep '"event":"tune_best"' tune.out | num k)
[ "$picked" = "$best_valid" ] || bad "tune kept k=$picked; valid's best is k=$best_valid (test's k=$best_test)"
grep '"event":"tune_best"' tune.out | grep -q '"split":"test"' || bad "tune_best has no test metrics"
# the test figures reported are those of the kept setting
want=$(grep '"split":"test"' "ev$best_valid" | num 'recall@20')
got=$(grep '"event":"tune_best"' tune.out | num 'recall@20')
[ "$got" = "$want" ] || bad "tune_best test recall@20 $got, the kept setting's is $want"

# unknown parameters and values out of range are refused
"$TTLAB" -c 'load synthetic tiny; split l2o; model e = ease; tune e lamda=1,2' > /dev/null 2> err
grep -q "tune: unknown parameter 'lamda' for ease: did you mean 'lambda'?" err || bad "unknown parameter: $(cat err)"
"$TTLAB" -c 'load synthetic tiny; split l2o; model e = ease; tune e lambda=1,0' > /dev/null 2> err
grep -q "tune: lambda=0 must be > 0" err || bad "lambda=0 in a grid: $(cat err)"

# slices
for by in item_pop user_activity; do
  "$TTLAB" --json -c "load synthetic small; split l2o; model e = ease lambda=50; train e; eval e k=20; eval e k=20 by=$by" \
    2>/dev/null | grep '"event":"eval"' > sl || bad "eval by=$by failed"
  [ "$(grep -c '"slice"' sl)" = 3 ] || bad "by=$by: want 3 slice lines"
  whole=$(grep -v '"slice"' sl)
  awk -v W="$(echo "$whole" | num 'recall@20')" -v N="$(echo "$whole" | num users)" \
      -v C="$(echo "$whole" | num n_examples)" '
    /"slice"/ { match($0, /"count":[0-9]+/); c = substr($0, RSTART + 8, RLENGTH - 8)
                match($0, /"users":[0-9]+/); u = substr($0, RSTART + 8, RLENGTH - 8)
                match($0, /"recall@20":[-0-9.e]+/); r = substr($0, RSTART + 12, RLENGTH - 12)
                sc += c; su += u; sr += r * u }
    END { if (su != N) { print "users " su " != " N; exit 1 }
          d = sr / su - W; if (d < 0) d = -d
          if (d > 1e-6) { print "weighted recall " sr / su " != " W; exit 1 } }' sl ||
    bad "by=$by: slices do not add up to the whole"
  total=$(awk '/"slice"/ { match($0, /"count":[0-9]+/); s += substr($0, RSTART + 8, RLENGTH - 8) } END { print s }' sl)
  [ "$total" = "$(echo "$whole" | num users)" ] || bad "by=$by: counts sum to $total"
done
# export: iALS writes its item factors and folded-in user vectors as .npy;
# EASE, which scores from the history, has no vectors and says so; a saved
# baseline opens with its options and scores the same.
"$TTLAB" --json -c 'load synthetic tiny; split l2o; model a = ials dim=8 iters=2; train a; export a items a_items.npy; export a users a_users.npy split=valid; model e = ease lambda=7; train e; eval e k=20; save e e.ttm; drop model e; open e.ttm; eval e k=20' \
  > ex.out 2> ex.err || bad "export/save/open: $(cat ex.err)"
[ "$(wc -c < a_items.npy)" = $((128 + 200 * 8 * 4)) ] || bad "a_items.npy: $(wc -c < a_items.npy) bytes, want 200 x 8 floats"
[ "$(wc -c < a_users.npy)" = $((128 + 300 * 8 * 4)) ] || bad "a_users.npy: $(wc -c < a_users.npy) bytes, want 300 x 8 floats"
grep -q '"definition":"model e = ease lambda=7"' ex.out || bad "open lost ease's lambda"
[ "$(grep '"event":"eval"' ex.out | num 'recall@20' | uniq | wc -l)" = 1 ] || bad "the opened ease scores differently"
"$TTLAB" -c 'load synthetic tiny; split l2o; model e = ease; train e; export e items e.npy' > /dev/null 2> err
grep -q "model e (ease) scores from histories, not item vectors" err || bad "export of ease: $(cat err)"

# rank's verdict names the model with the highest figure, computed from the
# evals of the same run (so a lesson's narration can read it).
"$TTLAB" --json -c 'load synthetic small; split l2o; model p = popularity; model e = ease lambda=50; train e; model k = itemknn k=20; train k; eval p k=20; eval e k=20; eval k k=20; rank p e k; rank e k p metric=ndcg@20' \
  2>/dev/null > rk || bad "rank failed"
best=$(grep '"event":"eval"' rk | sed -n 's/.*"model":"\([a-z]*\)".*"recall@20":\([-0-9.e]*\).*/\2 \1/p' | sort -gr | head -n 1 | cut -d' ' -f2)
lead=$(grep '"event":"verdict"' rk | head -n 1 | sed -n 's/.*"leader":"\([a-z]*\)".*/\1/p')
[ -n "$best" ] && [ "$lead" = "$best" ] || bad "rank's leader is '$lead', the evals' best recall@20 is '$best'"
bestn=$(grep '"event":"eval"' rk | sed -n 's/.*"model":"\([a-z]*\)".*"ndcg@20":\([-0-9.e]*\).*/\2 \1/p' | sort -gr | head -n 1 | cut -d' ' -f2)
leadn=$(grep '"event":"verdict"' rk | tail -n 1 | sed -n 's/.*"leader":"\([a-z]*\)".*/\1/p')
[ "$leadn" = "$bestn" ] || bad "rank metric=ndcg@20 leader '$leadn', the evals' best ndcg@20 is '$bestn'"
[ "$(grep '"event":"rank"' rk | head -n 3 | sed -n 's/.*"rank":\([0-9]*\).*/\1/p' | tr -d '\n')" = 123 ] ||
  bad "rank rows are not numbered 1, 2, 3"
# Beyond accuracy at every cut-off, in every output mode: coverage, Gini and
# mean popularity for each k of the eval (the values themselves are checked
# against a naive reference in test_baselines); compare's empty row of a
# model that cannot score a cold split has the same keys, null.
B='set dashboard off; set progress off; load synthetic tiny; split l2o; model e = ease; train e'
"$TTLAB" -c "$B; set output csv; eval e k=5,10 beyond=on; set output json; eval e k=5,10 beyond=on; set output table; set width 1000; eval e k=5,10 beyond=on" > by 2> err ||
  { bad "eval beyond=on"; cat err; }
grep -q '^model,split,.*,coverage@5,coverage@10,gini@5,gini@10,pop@5,pop@10$' by || { bad "beyond: csv header"; cat by; }
for key in coverage@5 coverage@10 gini@5 gini@10 pop@5 pop@10; do
  [ -n "$(grep '"event":"eval"' by | num "$key")" ] || bad "beyond: no $key in the json line"
done
grep -Eq '^model +split .* coverage@5 +coverage@10 +gini@5 +gini@10 +pop@5 +pop@10$' by || { bad "beyond: table header"; cat by; }
g5=$(grep '"event":"eval"' by | num 'gini@5'); g10=$(grep '"event":"eval"' by | num 'gini@10')
[ "$g5" != "$g10" ] || bad "beyond: gini@5 = gini@10 = $g5 (one value for both cut-offs?)"
"$TTLAB" --json -c "set dashboard off; set progress off; load synthetic tiny; split cold users=0.5; tower u = embed dim=4 | mlp 8; model t = twotower u u; train t epochs=1; model e = ease; compare t e k=5,10 beyond=on" > cb 2> err ||
  { bad "compare beyond=on on a cold split"; cat err; }
grep '"model":"e"' cb | grep -q '"coverage@5":null,"coverage@10":null,"gini@5":null,"gini@10":null,"pop@5":null,"pop@10":null' ||
  { bad "compare: the cold row's beyond keys"; cat cb; }
grep '"model":"t"' cb | grep -q '"gini@5":[0-9.]*,"gini@10":[0-9.]*,"pop@5":[0-9.]*,"pop@10":[0-9.]*' ||
  { bad "compare: the tower's beyond keys"; cat cb; }
# Tune over a two-tower's word options (a loss, a tower): each setting's
# values are words in the records, the kept model is the best setting by
# valid (defined with that loss and that user tower), and a bad word is
# refused before anything trains.
W='set dashboard off; set progress off; load synthetic tiny; split l2o; tower u = embed dim=4 | mlp 8; tower us = u with senet r=2; model m = twotower us u loss=inbatch'
"$TTLAB" --json -c "$W; tune m loss=softmax,inbatch user=u,us epochs=1; show m" > tw 2> err || { bad "tune over words"; cat err; }
[ "$(grep -c '"event":"tune",' tw)" = 4 ] || { bad "tune over words: want 4 settings"; cat tw; }
for c in '"loss":"softmax","user":"u"' '"loss":"softmax","user":"us"' '"loss":"inbatch","user":"u"' '"loss":"inbatch","user":"us"'; do
  grep '"event":"tune",' tw | grep -q "$c" || bad "tune over words: no setting $c"
done
bestline=$(grep '"event":"tune",' tw | awk '{ v = $0; sub(/.*"valid_recall@20":/, "", v); sub(/,.*/, "", v); if (NR == 1 || v + 0 > bv) { bv = v + 0; b = $0 } } END { print b }')
bl=$(echo "$bestline" | sed -n 's/.*"loss":"\([a-z]*\)".*/\1/p'); bu=$(echo "$bestline" | sed -n 's/.*"user":"\([a-z]*\)".*/\1/p')
grep '"event":"tune_best"' tw | grep -q "\"loss\":\"$bl\",\"user\":\"$bu\"" || { bad "tune_best is not the best setting by valid ($bl, $bu)"; cat tw; }
grep '"event":"model","name":"m"' tw | tail -n 1 | grep -q "twotower $bu u .*loss=$bl" ||
  { bad "the kept model is not defined with loss=$bl and user tower $bu"; cat tw; }
"$TTLAB" -c "$W; tune m loss=softmax,full epochs=1" > out 2> err && bad "tune loss=full must fail"
grep -Fxq "<command line>:1: error: tune: unknown loss 'full' (expected softmax, inbatch, sampled, bce or bpr)" err ||
  { bad "tune loss=full: message"; cat err; }
grep -q '^tune m' out && bad "tune loss=full trained a setting before refusing"
"$TTLAB" -c "$W; tune m user=u,nope epochs=1" > out 2> err && bad "tune user=nope must fail"
grep -Fxq "<command line>:1: error: tune: no tower 'nope' (see 'list towers')" err || { bad "tune user=nope: message"; cat err; }
exit $fail
