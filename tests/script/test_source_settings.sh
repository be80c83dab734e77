#!/bin/sh
# test_source_settings: a sourced script's settings last until it ends. A
# script that turns the dashboard off, switches the output to CSV, changes the
# seed, k, hist and threads leaves every setting of the session as it was,
# while the datasets, towers, models and variables it defines stay; a script
# given on the command line is the session itself and keeps its settings.
set -u
. "${top_srcdir:-.}/tests/script/lib.sh"
cd "$tmp" || exit 99
cat > inner.tt <<'TT'
set dashboard off
set output csv
set seed 7
set k 5,10
set hist 5
set threads 1
set quiet on
let FROM_INNER = yes
tower t = embed dim=4 | mlp 8
TT
"$TTLAB" -c 'set threads 2; source inner.tt; show' > out 2> err || { bad "source"; cat err; }
for pair in 'dashboard on' 'output table' 'seed 1' 'k 10,20,50' 'hist 20' 'threads 2' 'quiet off'; do
  k=${pair% *} v=${pair#* }
  grep -Eq "^$k +$v " out || { bad "setting $k is not back to $v"; cat out; }
done
"$TTLAB" -c 'source inner.tt; echo var=$FROM_INNER; show tower t' > out 2> err || { bad "source (definitions)"; cat err; }
grep -q '^var=yes$' out || bad "a variable of the sourced script is gone"
grep -q '^tower t = embed dim=4 | mlp 8$' out || bad "a tower of the sourced script is gone"
# the script of the command line keeps its settings to the end
printf 'set output csv\nshow output\n' > top.tt
"$TTLAB" top.tt > out 2> err || { bad "top-level script"; cat err; }
grep -q '^output,csv,' out || { bad "top-level script settings"; cat out; }
exit $fail
