#!/bin/sh
# test_walkthrough: runs the walkthrough scripts experiments/01-06 in script
# mode (some as `ttlab < FILE`, some as `ttlab FILE`) and checks that each runs
# to the end, prints its sections and tables, and that what its narration says
# about the results holds in the output of the run.
#
# Modes: normal runs the scripts as shipped (05 scaled to EPOCHS=2 SEEDS=1) and
# checks every claim. Under the sanitizers (TTLAB_SANITIZED=1) or with
# TTLAB_WALK_QUICK=1 every script runs scaled down (EPOCHS=1 SIZE=tiny): only
# the structure is checked there, plus the deterministic popularity figures.
# 05 needs MovieLens-100K at ${TTLAB_SHARED:-$top_srcdir/../shared}/data/ml-100k
# and is skipped (the rest still runs) when it is absent.
set -u
: "${TTLAB:?}" "${top_srcdir:?}"
exp="$top_srcdir/experiments"
quick=0
[ "${TTLAB_SANITIZED:-0}" = 1 ] && quick=1
[ "${TTLAB_WALK_QUICK:-0}" = 1 ] && quick=1
shared=${TTLAB_SHARED:-$top_srcdir/../shared}
# The knobs of the scripts are variables that the environment also sets.
unset EPOCHS SIZE SEEDS ML100K DATA LR
tmp=$(mktemp -d)
# TTLAB_WALK_KEEP=DIR keeps the outputs (NAME.out, NAME.err, the files written).
trap 'if [ -n "${TTLAB_WALK_KEEP:-}" ]; then mkdir -p "$TTLAB_WALK_KEEP" && cp -R "$tmp"/*.out "$tmp"/*.err "$tmp/run" "$TTLAB_WALK_KEEP"/; fi; rm -rf "$tmp"' EXIT
# The scripts find MovieLens at ../shared/data/ml-100k from where they run.
mkdir "$tmp/run"
if [ -d "$shared" ]; then ln -s "$(cd "$shared" && pwd)" "$tmp/shared"; fi
fail=0
cur=""

bad() { echo "FAIL $cur: $*"; fail=1; }

# tv NAME KEYCOL KEY COL: the value in column COL of the last table row of
# NAME's output whose column KEYCOL is KEY ("0.4050 ± 0.0173" gives 0.4050).
# A table is a header line starting with "model" and the following lines with
# the same number of fields.
tv() {
    sed 's/ ± /±/g' "$tmp/$1.out" | awk -v kc="$2" -v key="$3" -v col="$4" '
        $1 == "model" { n = NF; split("", h); for (i = 1; i <= NF; i++) h[$i] = i; next }
        NF != n { n = 0; next }
        (kc in h) && (col in h) && $(h[kc]) == key { v = $(h[col]) }
        END { sub(/±.*/, "", v); print v }'
}

# check "claim" "awk expression": the expression must hold (an empty value
# makes it a syntax error, which fails too).
check() {
    if ! awk "BEGIN { exit !($2) }" 2> /dev/null; then
        bad "$1  [$2]"
    fi
}

# has NAME REGEX: the output of NAME has a line matching REGEX.
has() {
    grep -Eq -- "$2" "$tmp/$1.out" || bad "no line matching '$2' in the output"
}

# last_loss NAME MODEL: the loss of MODEL's last progress line on stderr.
last_loss() {
    sed -n "s/^$2 epoch [0-9]*\/[0-9]*: loss \([0-9.]*\),.*/\1/p" "$tmp/$1.err" | tail -n 1
}

# run NAME stdin|file [-D ...]: run experiments/NAME.tt from $tmp/run.
run() {
    name=$1 how=$2
    shift 2
    cur=$name
    t0=$(date +%s)
    if [ "$how" = stdin ]; then
        (cd "$tmp/run" && "$TTLAB" "$@" < "$exp/$name.tt" > "$tmp/$name.out" 2> "$tmp/$name.err")
    else
        (cd "$tmp/run" && "$TTLAB" "$@" "$exp/$name.tt" < /dev/null > "$tmp/$name.out" 2> "$tmp/$name.err")
    fi
    rc=$?
    echo "$name ($how $*): exit $rc in $(($(date +%s) - t0)) s"
    if [ $rc != 0 ]; then
        bad "exit status $rc"
        tail -n 5 "$tmp/$name.err"
        return 1
    fi
    if grep -q 'error:' "$tmp/$name.err"; then
        bad "an error on stderr"
        grep 'error:' "$tmp/$name.err" | head -n 3
    fi
    return 0
}

if [ $quick = 1 ]; then
    set -- -D EPOCHS=1 -D SIZE=tiny -D SEEDS=1,2
else
    set --
fi

# ---- 01: DSSM ----
if run 01-dssm stdin "$@"; then
    has 01-dssm '^== 01 '
    has 01-dssm '^feature +side +kind .*planted$'
    has 01-dssm '^slot +context +categorical .*noise-context$'
    has 01-dssm '^model dssm = twotower u i sim=cos temp=0.05 loss=softmax$'
    has 01-dssm 'protocol: synthetic-l2o'
    for m in pop dssm dssm_t1; do
        [ -n "$(tv 01-dssm model $m recall@20)" ] || bad "no $m row in the compare table"
    done
    [ -s "$tmp/run/walk-01-items.tsv" ] && [ -s "$tmp/run/walk-01-items.meta.tsv" ] ||
        bad "walk-01-items.tsv or its .meta.tsv missing"
    if [ $quick = 0 ]; then
        pop=$(tv 01-dssm model pop recall@20) d=$(tv 01-dssm model dssm recall@20)
        t1=$(tv 01-dssm model dssm_t1 recall@20)
        ld=$(last_loss 01-dssm dssm) lt=$(last_loss 01-dssm dssm_t1)
        check "dssm beats popularity clearly" "$d > 2 * $pop"
        check "the T=1 loss stays between 4.91 and 6.91" "$lt > 4.91 && $lt < 6.91"
        check "the T=1 loss stays far above the T=0.05 loss" "$lt > $ld + 0.5"
        check "dssm_t1 comes within a fifth of dssm's recall@20" "$t1 >= 0.8 * $d"
        rows=$(wc -l < "$tmp/run/walk-01-items.tsv")
        cols=$(head -n 1 "$tmp/run/walk-01-items.tsv" | awk -F '\t' '{ print NF }')
        check "1000 item vectors of 32 numbers" "$rows == 1000 && $cols == 32"
    fi
fi

# ---- 02: SENet ----
if run 02-senet file "$@"; then
    has 02-senet '^== 02 '
    has 02-senet '^tower us = embed dim=16 \| senet r=2 \| mlp 64 32 \| l2norm$'
    has 02-senet '^model senet = twotower us is sim=cos temp=0.05 loss=softmax$'
    for f in user_id taste age region zip hist mode slot item_id category color tags; do
        [ -n "$(tv 02-senet feature $f mean)" ] || bad "the weights table has no row for $f"
        [ -n "$(tv 02-senet feature $f delta_recall@20)" ] || bad "the ablate table has no row for $f"
    done
    if [ $quick = 0 ]; then
        # "the two lowest rows are the context noise slot and the 5-valued region"
        for low in slot region; do
            w=$(tv 02-senet feature $low mean)
            for f in user_id taste age zip hist mode; do
                check "$low's weight is below $f's" "$w < $(tv 02-senet feature $f mean)"
            done
        done
        check "hist gets the highest weight of all" \
            "$(tv 02-senet feature hist mean) > 0.7"
        c=$(tv 02-senet feature color mean)
        for f in item_id category tags; do
            check "color has the lowest item-side mean (below $f)" "$c < $(tv 02-senet feature $f mean)"
        done
        # the ablation: "slot, region and zip: change near zero", "user_id changes little",
        # "mode, age and hist fall", "on the item side zeroing any feature costs recall"
        for f in slot region zip user_id; do
            dl=$(tv 02-senet feature $f delta_recall@20)
            check "zeroing $f changes recall@20 by less than 0.01" "$dl < 0.01 && $dl > -0.01"
        done
        for f in mode age hist item_id category color tags; do
            check "zeroing $f costs recall@20" "$(tv 02-senet feature $f delta_recall@20) <= -0.01"
        done
    fi
fi

# ---- 03: parallel towers ----
if run 03-parallel stdin "$@"; then
    has 03-parallel '^== 03 '
    has 03-parallel '^tower ufm = embed dim=16 \| channels \(fm\) \| l2norm$'
    has 03-parallel '^tower ucr = embed dim=16 \| channels \(cross 2 out=32\) \| l2norm$'
    has 03-parallel '^model par = twotower up ip sim=cos temp=0.05 loss=softmax$'
    for m in pop mlp fm cross par par_t par_cat; do
        [ -n "$(tv 03-parallel model $m recall@20)" ] || bad "no $m row"
    done
    if [ $quick = 0 ]; then
        r() { tv 03-parallel model "$1" recall@20; }
        check "fm is below popularity" "$(r fm) < $(r pop)"
        check "fm is far below mlp and cross" "$(r fm) < 0.5 * $(r mlp) && $(r fm) < 0.5 * $(r cross)"
        check "par lands below the single mlp channel" "$(r par) < $(r mlp)"
        check "par_t recovers part of the gap" "$(r par_t) > $(r par)"
        check "par_cat recovers most of it" "$(r par_cat) > $(r par_t)"
        for m in par par_t par_cat; do
            check "$m does not beat the single mlp tower" "$(r $m) < $(r mlp)"
        done
    fi
fi

# ---- 04: losses ----
if run 04-losses file "$@"; then
    has 04-losses '^== 04 '
    for m in pop full inbatch inbatch_q sampled sampled_q sampled_pop sampled_pop_q; do
        [ -n "$(tv 04-losses model $m recall@20)" ] || bad "no $m row"
    done
    if [ $quick = 0 ]; then
        r() { tv 04-losses model "$1" "recall@${2:-20}"; }
        check "inbatch's recall@10 is no better than pop's" "$(r inbatch 10) <= $(r pop 10) + 0.01"
        check "inbatch's recall@50 is far above pop's" "$(r inbatch 50) > $(r pop 50) + 0.1"
        check "logQ brings inbatch back to the full softmax" "$(r inbatch_q) >= $(r full) - 0.02"
        check "under a uniform sampler logQ changes little" \
            "$(r sampled_q) - $(r sampled) < 0.02 && $(r sampled) - $(r sampled_q) < 0.02"
        check "sampled_pop falls well below sampled" "$(r sampled_pop) < $(r sampled) - 0.05"
        check "sampled_pop_q recovers" "$(r sampled_pop_q) > $(r sampled_pop) + 0.05"
    fi
fi

# ---- 05: MovieLens-100K ----
cur=05-movielens
(cd "$tmp/run" && "$TTLAB" -D ML100K="$tmp/nowhere" "$exp/05-movielens.tt" < /dev/null > "$tmp/05-missing.out" 2> "$tmp/05-missing.err")
rc=$?
[ $rc = 1 ] || bad "without the data: exit $rc, expected 1"
grep -q "MovieLens-100K not found in $tmp/nowhere: get it with datasets/fetch-movielens.sh 100k" "$tmp/05-missing.err" ||
    bad "without the data: no message saying how to get it"
if [ -f "$tmp/shared/data/ml-100k/u.data" ]; then
    if [ $quick = 1 ]; then
        set -- -D EPOCHS=1 -D SEEDS=1
    else
        set -- -D EPOCHS=2 -D SEEDS=1
    fi
    if run 05-movielens stdin "$@"; then
        has 05-movielens 'protocol: ml100k-l2o'
        has 05-movielens '^split l2o of ml-100k: 98114 train, 943 valid, 943 test examples \(protocol: ml100k-l2o\)$'
        # The deterministic floor, to the 4 decimals of PROTOCOL.md.
        has 05-movielens '^pop +valid +0\.0636 +0\.1007 +0\.1994 '
        has 05-movielens '^pop +test +0\.0498 +0\.0795 +0\.1410 +[0-9.]+ +[0-9.]+ +[0-9.]+ +0\.0258$'
        for m in dssm senet dssm_inbatch; do
            [ -n "$(tv 05-movielens model $m recall@20)" ] || bad "no $m row"
        done
        for f in user_id age gender occupation zip3 hist item_id genres decade; do
            [ -n "$(tv 05-movielens feature $f mean)" ] || bad "the weights table has no row for $f"
        done
        if [ $quick = 0 ]; then
            h=$(tv 05-movielens feature hist mean)
            for f in user_id age gender occupation zip3; do
                check "hist has the highest user-side weight (above $f)" "$h > $(tv 05-movielens feature $f mean)"
            done
            check "dssm beats popularity even after 2 epochs" \
                "$(tv 05-movielens model dssm recall@20) > $(tv 05-movielens model pop recall@20)"
        fi
    fi
else
    echo "skip 05-movielens: no MovieLens-100K at $shared/data/ml-100k (TTLAB_SHARED)"
fi

# ---- 06: seeds and plots ----
if [ $quick = 1 ]; then
    set -- -D EPOCHS=1 -D SIZE=tiny -D SEEDS=1,2
    nseeds=2
else
    set --
    nseeds=3
fi
if run 06-compare file "$@"; then
    has 06-compare '^== 06 '
    for m in dssm senet parallel; do
        check "$m has $nseeds seeds" "$(tv 06-compare model $m seeds) == $nseeds"
        grep -Eq "^$m +[0-9]+ +$nseeds +[0-9.]+ +[0-9.]+ ± [0-9.]+ " "$tmp/06-compare.out" ||
            bad "$m: no mean ± std in the compare table"
    done
    for f in walk-06-recall.png walk-06-weights.png walk-06-weights-history.png; do
        has 06-compare "^plot written to $f\$"
        [ "$(head -c 8 "$tmp/run/$f" 2> /dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
            bad "$f is not a PNG file"
    done
    has 06-compare '^plot written to walk-06-loss.svg$'
    grep -q '<svg' "$tmp/run/walk-06-loss.svg" 2> /dev/null && grep -q '</svg>' "$tmp/run/walk-06-loss.svg" ||
        bad "walk-06-loss.svg is not an SVG file"
    if [ $quick = 0 ]; then
        # "the std of one model over seeds is about a point or two, and the
        # three means lie closer together than that"
        std() { sed 's/ ± /±/g' "$tmp/06-compare.out" | awk -v m="$1" '$1 == m && $5 ~ /±/ { s = $6; sub(/.*±/, "", s); v = s } END { print v }'; }
        mean() { tv 06-compare model "$1" recall@20; }
        smax=$(printf '%s\n' "$(std dssm)" "$(std senet)" "$(std parallel)" | sort -n | tail -n 1)
        lo=$(printf '%s\n' "$(mean dssm)" "$(mean senet)" "$(mean parallel)" | sort -n | head -n 1)
        hi=$(printf '%s\n' "$(mean dssm)" "$(mean senet)" "$(mean parallel)" | sort -n | tail -n 1)
        check "the largest std of recall@20 is a point or two" "$smax >= 0.005 && $smax <= 0.03"
        check "the three means lie closer together than the largest std" "$hi - $lo < $smax"
    fi
fi

exit $fail
