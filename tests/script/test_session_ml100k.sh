#!/bin/sh
# test_session_ml100k: the foundation issue's acceptance, end to end through
# the language: the popularity row of ../shared/PROTOCOL.md to 4 decimals,
# from the JSON eval line of `ttlab --json -c '...'`. Skipped (77) without
# the MovieLens-100K folder.
set -u
data="${TTLAB_SHARED:-$top_srcdir/../shared}/data/ml-100k"
[ -f "$data/u.data" ] || { echo "no $data: skipped"; exit 77; }
out=$("$TTLAB" --json -c "load movielens $data; split l2o; model pop = popularity; eval pop split=test k=10,20,50; eval pop split=valid k=10,20,50") || { echo "ttlab failed"; exit 1; }
fail=0
check() { # split key expected
  line=$(printf '%s\n' "$out" | grep "\"event\":\"eval\",\"model\":\"pop\",\"split\":\"$1\",\"protocol\":\"ml100k-l2o\"")
  [ -n "$line" ] || { echo "no eval line for $1:"; printf '%s\n' "$out"; fail=1; return; }
  v=$(printf '%s\n' "$line" | sed -n "s/.*\"$2\":\([0-9.e-]*\).*/\1/p")
  r=$(awk -v v="$v" 'BEGIN { printf "%.4f", v }')
  [ "$r" = "$3" ] || { echo "$1 $2 = $v, want $3"; fail=1; }
}
check test recall@10 0.0498
check test recall@20 0.0795
check test recall@50 0.1410
check test ndcg@10 0.0254
check test mrr 0.0258
check valid recall@10 0.0636
check valid recall@20 0.1007
check valid recall@50 0.1994
exit $fail
