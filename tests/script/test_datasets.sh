#!/bin/sh
# test_datasets: models know their data. Generated datasets of different sizes
# get different protocol labels naming their parameters; `compare` across
# datasets refuses naming both (datasets=on shows them with a dataset
# column); the dataset and split survive save and open; `list` and `show`
# name the dataset; an `open` error after a second load names the current
# dataset as the session calls it; `load ... as NAME` is taken like `open
# FILE as NAME`; compare after seeds= with other cut-offs says which seed it
# measured. Skipped without the engine.
set -u
. "${top_srcdir:-.}/tests/script/lib.sh"
cd "$tmp" || exit 99
"$TTLAB" -c 'load synthetic tiny; split l2o; model p = popularity; eval p' > /dev/null 2>&1 ||
  { echo "engine not available"; exit 77; }
P='set dashboard off; set progress off; set quiet on'
T='tower u = embed dim=4 | mlp 8'

# protocol labels name the generator's parameters
"$TTLAB" -c "load synthetic tiny; split l2o; load synthetic small; split l2o" > out 2>&1
# (lines fit 80 columns: read them with their breaks as blanks)
joined() { tr -s ' \n' '  ' < "$1"; }
joined out | grep -q 'protocol: synthetic-300x200-c4-p20-s42-l2o)' || { bad "tiny label"; cat out; }
joined out | grep -q 'protocol: synthetic-1000x500-c8-p30-s42-l2o)' || { bad "small label"; cat out; }

# compare across datasets: refused, both named; datasets=on shows them
S="$P; load synthetic tiny; split l2o; $T; model a = twotower u u; train a epochs=1; load synthetic small as big; split l2o; model c = twotower u u; train c epochs=1"
"$TTLAB" -c "$S; compare a c" > out 2> err && bad "compare across datasets must fail"
grep -Fxq "<command line>:1: error: 'a' belongs to dataset 'synthetic' (synthetic users=300 items=200 clusters=4 per_user=20 seed=42; split l2o hist=20) and 'c' to dataset 'big' (synthetic users=1000 items=500 clusters=8 per_user=30 seed=42; split l2o hist=20): their metrics do not compare (datasets=on lists them anyway, with a dataset column)" err ||
  { bad "compare across datasets: message"; cat err; }
"$TTLAB" -c "$S; compare a c datasets=on k=20" > out 2> err || { bad "compare datasets=on"; cat err; }
grep -Eq '^a +synthetic +[0-9]+' out && grep -Eq '^c +big +[0-9]+' out || { bad "no dataset column"; cat out; }
# another split of the same data is another split
"$TTLAB" -c "$P; load synthetic tiny; split l2o; $T; model a = twotower u u; train a epochs=1; split random; model b = twotower u u; train b epochs=1; compare a b" > out 2> err &&
  bad "compare across splits must fail"
grep -q "split l2o hist=20) and 'b' to dataset 'synthetic' (.*; split random valid=0.1 test=0.1 seed=1 hist=20)" err ||
  { bad "compare across splits: message"; cat err; }

# two loads of one CSV file with other options are other data
printf 'user,item\n1,a\n1,b\n2,a\n2,c\n3,b\n3,c\n3,a\n4,a\n4,c\n' > i.csv
printf 'item,year\na,1990\nb,1995\nc,2001\n' > f.csv
C="$P; load csv i.csv item_file=f.csv as one; split l2o; $T; model a = twotower u u; train a epochs=1; load csv i.csv item_file=f.csv kinds=year:categorical as two; split l2o; model b = twotower u u; train b epochs=1"
"$TTLAB" -c "$C; compare a b" > out 2> err && bad "compare across CSV options must fail"
grep -Fq "'a' belongs to dataset 'one' (i.csv item_file=f.csv; split l2o hist=20) and 'b' to dataset 'two' (i.csv item_file=f.csv kinds=year:categorical; split l2o hist=20)" err ||
  { bad "compare across CSV options: message"; cat err; }
"$TTLAB" -c "$P; load csv i.csv as one; split l2o; $T; model a = twotower u u; train a epochs=1; load csv i.csv as two; split l2o; model b = twotower u u; train b epochs=1; compare a b" > out 2> err ||
  { bad "the same CSV load twice is the same data"; cat err; }

# the record survives save/open; list and show name it
"$TTLAB" -c "$P; load synthetic tiny; split l2o; $T; model a = twotower u u; train a epochs=1 threads=1; save a a.ttm" > /dev/null 2>&1 || bad "save"
"$TTLAB" -c "$P; load synthetic tiny as t; split l2o; open a.ttm as a2; list models; show a2; set output json; compare a2" > out 2> err ||
  { bad "open and show"; cat err; }
joined out | grep -q 'a2 .*opened from a.ttm, on t (synthetic-300x200-c4-p20-s42-l2o)' || { bad "list names the dataset"; cat out; }
# (the record line breaks at words into comment lines "#   ...": joined here)
sed -e ':a' -e 'N' -e '$!ba' -e 's/\n#   / /g' out |
  grep -q '^# opened, trained on t (synthetic users=300 items=200 clusters=4 per_user=20 seed=42; split l2o hist=20): 1 seed, 1 epochs, best 1, 1 threads$' ||
  { bad "show names the dataset and threads"; cat out; }
grep -q '"threads":1,' out || { bad "compare --json carries threads"; cat out; }

# an open error after a second load names the current dataset by its session name
"$TTLAB" -c "$P; load synthetic tiny; load synthetic small; open a.ttm as a3" > out 2> err && bad "open on other data must fail"
grep -Fxq "<command line>:1: error: cannot open 'a.ttm': schema mismatch: the model was saved from dataset 'synthetic' (300 users, 200 items); the current dataset 'synthetic-2' has 1000 users and 500 items" err ||
  { bad "open error names the dataset"; cat err; }

# seeds and other cut-offs: the table says which model it measured
"$TTLAB" -c "$P; load synthetic tiny; split l2o; $T; model b = twotower u u; train b epochs=1 seeds=1,2,3; compare b k=20; compare b k=5" > out 2> err ||
  { bad "compare after seeds"; cat err; }
grep -Eq '^b +[0-9]+ +3 .*±' out || { bad "compare b k=20 keeps mean ± std"; cat out; }
grep -q "^b: trained with 3 seeds, but only the last seed's model (seed 3) is kept" out ||
  { bad "compare b k=5 says it measured one seed"; cat out; }
exit $fail
