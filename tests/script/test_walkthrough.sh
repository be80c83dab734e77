#!/bin/sh
# test_walkthrough: runs the walkthrough scripts experiments/01-08 in script
# mode (some as `ttlab < FILE`, some as `ttlab FILE`) at two knob settings
# each, and checks at each that the script runs to the end, prints its
# sections and tables, that the verdicts of `rank` agree with the numbers
# of the run (07), that counts in its narration are the run's, and
# that the claims it makes about every run hold. Claims the narration labels
# as measured at the defaults ("At the defaults ...") are checked when the
# script runs with its defaults.
#
# Settings: normal mode runs each script as shipped (05 scaled to EPOCHS=2
# SEEDS=1) and at EPOCHS=1 SIZE=tiny SEEDS=1,2. Under the sanitizers
# (TTLAB_SANITIZED=1) or with TTLAB_WALK_QUICK=1 both settings are scaled
# down: EPOCHS=1 SIZE=tiny SEEDS=1,2 and EPOCHS=2 SIZE=tiny SEEDS=1.
# 08 runs at two scaled-down settings of its own (its full run is long), and
# without MovieLens-100K must stop at its third part saying how to get it.
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
# Files the scripts write go to OUTDIR (01's item vectors), here the run folder.
OUTDIR=$tmp/run
export OUTDIR
# TTLAB_WALK_KEEP=DIR keeps the outputs (NAME.TAG.out, NAME.TAG.err, the files written).
trap 'if [ -n "${TTLAB_WALK_KEEP:-}" ]; then mkdir -p "$TTLAB_WALK_KEEP" && cp -R "$tmp"/*.out "$tmp"/*.err "$tmp/run" "$TTLAB_WALK_KEEP"/; fi; rm -rf "$tmp"' EXIT
# The scripts find MovieLens at ../shared/data/ml-100k from where they run.
mkdir "$tmp/run"
if [ -d "$shared" ]; then ln -s "$(cd "$shared" && pwd)" "$tmp/shared"; fi
fail=0
cur=""

bad() { echo "FAIL $cur: $*"; fail=1; }

# tv OUT KEYCOL KEY COL: the value in column COL of the last table row of
# output OUT whose column KEYCOL is KEY ("0.4050 ± 0.0173" gives 0.4050).
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

# has OUT REGEX: output OUT has a line matching REGEX.
has() {
    grep -Eq -- "$2" "$tmp/$1.out" || bad "no line matching '$2' in the output"
}

# last_loss OUT MODEL: the loss of MODEL's last progress line on stderr.
last_loss() {
    sed -n "s/^$2 epoch [0-9]*\/[0-9]*: loss \([0-9.]*\),.*/\1/p" "$tmp/$1.err" | tail -n 1
}

# n_items OUT: the items of the dataset the run loaded.
n_items() {
    sed -n 's/^dataset [^:]*: [0-9]* users, \([0-9]*\) items,.*/\1/p' "$tmp/$1.out" | head -n 1
}

# run NAME TAG stdin|file [-D ...]: run experiments/NAME.tt from $tmp/run;
# its output goes to NAME.TAG.out and .err.
run() {
    name=$1 tag=$2 how=$3
    shift 3
    cur="$name ($tag)"
    out=$name.$tag
    t0=$(date +%s)
    if [ "$how" = stdin ]; then
        (cd "$tmp/run" && "$TTLAB" "$@" < "$exp/$name.tt" > "$tmp/$out.out" 2> "$tmp/$out.err")
    else
        (cd "$tmp/run" && "$TTLAB" "$@" "$exp/$name.tt" < /dev/null > "$tmp/$out.out" 2> "$tmp/$out.err")
    fi
    rc=$?
    echo "$name ($how $*): exit $rc in $(($(date +%s) - t0)) s"
    if [ $rc != 0 ]; then
        bad "exit status $rc"
        tail -n 5 "$tmp/$out.err"
        return 1
    fi
    if grep -q 'error:' "$tmp/$out.err"; then
        bad "an error on stderr"
        grep 'error:' "$tmp/$out.err" | head -n 3
    fi
    return 0
}

# The two settings: A and B, each a list of -D options; def=1 when A is the
# scripts' own defaults.
if [ $quick = 1 ]; then
    A="-D EPOCHS=1 -D SIZE=tiny -D SEEDS=1,2" A_seeds=2 def=0
    B="-D EPOCHS=2 -D SIZE=tiny -D SEEDS=1" B_seeds=1
else
    A="" A_seeds=3 def=1
    B="-D EPOCHS=1 -D SIZE=tiny -D SEEDS=1,2" B_seeds=2
fi

for tag in A B; do
    if [ $tag = A ]; then set -- $A; nseeds=$A_seeds; atdef=$def; else set -- $B; nseeds=$B_seeds; atdef=0; fi

    # ---- 01: DSSM ----
    if run 01-dssm $tag stdin "$@"; then
        o=01-dssm.$tag
        has $o '^== 01 '
        has $o '^feature +side +kind .*planted$'
        has $o '^slot +context +categorical .*noise-context$'
        has $o '^model dssm = twotower u i sim=cos temp=0.05 loss=softmax$'
        has $o 'protocol: synthetic-[0-9]+x[0-9]+-c[0-9]+-p[0-9]+-s[0-9]+-l2o'
        for m in pop dssm dssm_t1; do
            [ -n "$(tv $o model $m recall@20)" ] || bad "no $m row in the compare table"
        done
        [ -s "$tmp/run/walk-01-items.tsv" ] && [ -s "$tmp/run/walk-01-items.meta.tsv" ] ||
            bad "walk-01-items.tsv or its .meta.tsv missing"
        N=$(n_items $o) lt=$(last_loss $o dssm_t1)
        # "the loss of dssm_t1 cannot go below the T = 1 floor log(1 + (N - 1) e^-2)"
        check "the T=1 loss stays above its floor for $N items" "$lt > log(1 + ($N - 1) * exp(-2))"
        rows=$(wc -l < "$tmp/run/walk-01-items.tsv")
        cols=$(head -n 1 "$tmp/run/walk-01-items.tsv" | awk -F '\t' '{ print NF }')
        check "one item vector of 32 numbers per item" "$rows == $N && $cols == 32"
        if [ $atdef = 1 ]; then
            check "the default set has 1000 items" "$N == 1000"
        fi
    fi

    # ---- 02: SENet ----
    if run 02-senet $tag file "$@"; then
        o=02-senet.$tag
        has $o '^== 02 '
        has $o '^tower us = embed dim=16 \| senet r=2 \| mlp 64 32 \| l2norm$'
        has $o '^model senet = twotower us is sim=cos temp=0.05 loss=softmax$'
        for f in user_id taste age region zip hist mode slot item_id category color tags; do
            [ -n "$(tv $o feature $f mean)" ] || bad "the weights table has no row for $f"
            [ -n "$(tv $o feature $f delta_recall@20)" ] || bad "the ablate table has no row for $f"
        done
        # "the excitation MLP is 8-4-8 ... 4-2-4": the constant sentence, when
        # there is one, names the same widths
        if tr '\n' ' ' < "$tmp/$o.out" | grep -q 'item tower of senet, over all items: constant'; then
            tr '\n' ' ' < "$tmp/$o.out" | grep -q 'max(1, 4 fields / r=2) = 2' ||
                bad "a constant item tower without the hidden width 4 / 2 = 2"
        fi
        if [ $atdef = 1 ]; then
            # "At the defaults: slot and region were the two lowest, zip higher"
            for low in slot region; do
                w=$(tv $o feature $low mean)
                for f in user_id taste age zip hist mode; do
                    check "$low's weight is below $f's" "$w < $(tv $o feature $f mean)"
                done
            done
            check "hist gets the highest weight (at the defaults)" "$(tv $o feature hist mean) > 0.7"
            # "slot, region, zip and user_id changed recall@20 by less than 0.01 ...
            # zeroing mode, age or hist, or any item feature cost recall"
            for f in slot region zip user_id; do
                dl=$(tv $o feature $f delta_recall@20)
                check "zeroing $f changes recall@20 by less than 0.01" "$dl < 0.01 && $dl > -0.01"
            done
            for f in mode age hist item_id category color tags; do
                check "zeroing $f costs recall@20" "$(tv $o feature $f delta_recall@20) <= -0.01"
            done
        fi
    fi

    # ---- 03: parallel towers ----
    if run 03-parallel $tag stdin "$@"; then
        o=03-parallel.$tag
        has $o '^== 03 '
        has $o '^Seven models to train'
        has $o '^tower ufm = embed dim=16 \| channels \(fm\) \| l2norm$'
        has $o '^tower ucr = embed dim=16 \| channels \(cross 2 out=32\) \| l2norm$'
        has $o '^model par = twotower up ip sim=cos temp=0.05 loss=softmax$'
        has $o '^     ttlab    10\.71  7\.45  7\.08  6\.89  6\.79$'   # note keeps indentation
        for m in pop mlp fm fm_lr cross par par_t par_cat; do
            [ -n "$(tv $o model $m recall@20)" ] || bad "no $m row"
        done
        n=$(grep -c '^trained ' "$tmp/$o.out")
        check "seven models trained" "$n == 7"
    fi

    # ---- 04: losses ----
    if run 04-losses $tag file "$@"; then
        o=04-losses.$tag
        has $o '^== 04 '
        for m in pop full inbatch inbatch_q sampled sampled_q sampled_pop sampled_pop_q; do
            [ -n "$(tv $o model $m recall@20)" ] || bad "no $m row"
        done
        if [ $atdef = 1 ]; then
            r() { tv $o model "$1" "recall@${2:-20}"; }
            check "inbatch's recall@10 is no better than pop's" "$(r inbatch 10) <= $(r pop 10) + 0.01"
            check "inbatch's recall@50 is far above pop's" "$(r inbatch 50) > $(r pop 50) + 0.1"
            check "sampled_pop falls well below sampled" "$(r sampled_pop) < $(r sampled) - 0.05"
            check "sampled_pop_q recovers" "$(r sampled_pop_q) > $(r sampled_pop) + 0.05"
        fi
    fi

    # ---- 06: seeds and plots ----
    if run 06-compare $tag file "$@"; then
        o=06-compare.$tag
        has $o '^== 06 '
        list=$(seq -s, 1 $nseeds)
        has $o "^Three models, one run per seed of $list each"
        has $o "^Each cell is the mean over the seeds $list "
        for m in dssm senet parallel; do
            check "$m has $nseeds seeds" "$(tv $o model $m seeds) == $nseeds"
            if [ $nseeds -gt 1 ]; then
                # (80 columns: params and train_s may be left out)
                grep -Eq "^$m +([0-9.]+ +)*[0-9.]+ ± [0-9.]+( |\$)" "$tmp/$o.out" ||
                    bad "$m: no mean ± std in the compare table"
            fi
        done
        for f in walk-06-recall.png walk-06-weights.png walk-06-weights-history.png; do
            has $o "^plot written to $f\$"
            [ "$(head -c 8 "$tmp/run/$f" 2> /dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
                bad "$f is not a PNG file"
        done
        has $o '^plot written to walk-06-loss.svg$'
        grep -q '<svg' "$tmp/run/walk-06-loss.svg" 2> /dev/null && grep -q '</svg>' "$tmp/run/walk-06-loss.svg" ||
            bad "walk-06-loss.svg is not an SVG file"
    fi

    # ---- 07: baselines ----
    # The narration states no ranking: the verdict lines of `rank` carry it,
    # and the first must name the best row of the first compare table of the
    # same run (the l2o one; the cold-start compare comes last).
    if run 07-baselines $tag file "$@" -D EPOCHS=${EPOCHS07:-2} -D SEEDS=1,2; then
        o=07-baselines.$tag
        has $o '^== 07 '
        for m in pop knn ease ials dssm senet parallel; do
            [ -n "$(tv $o model $m recall@20)" ] || bad "no $m row in the compare table"
        done
        has $o '^best of 6 settings: model knn = itemknn '
        has $o '^best of 5 settings: model ease = ease lambda='
        has $o '^best of 4 settings: model ials = ials '
        has $o '^test recall@20: [a-z]+ leads with '
        has $o '^test, tail recall@20: [a-z]+ leads with '
        has $o '^test, heavy recall@20: [a-z]+ leads with '
        # cold start: users, then items; the baselines' rows empty, saying why
        has $o '^split cold-users of '
        has $o '^split cold-items of '
        [ "$(grep -c '^pop, knn, ease, ials: cannot score cold items or users' "$tmp/$o.out")" = 2 ] ||
            bad "07: the cold compares do not both say why the baselines are empty"
        has $o '^test recall@20: (dssm_cold|idonly) leads with '
        has $o '^test recall@20: (dssm_coldi|iidonly) leads with '
        best=$(sed 's/ ± /±/g' "$tmp/$o.out" | awk '
            $1 == "model" && $0 ~ /seeds/ && $0 ~ /recall@20/ && !seen { seen = 1; n = NF; for (i = 1; i <= NF; i++) if ($i == "recall@20") c = i; next }
            n && NF != n { n = 0 }
            n && NF == n { v = $c; sub(/±.*/, "", v); if (v + 0 > bv) { bv = v + 0; bm = $1 } }
            END { print bm }')
        lead=$(sed -n 's/^test recall@20: \([a-z_]*\) leads with .*/\1/p' "$tmp/$o.out" | head -n 1)
        [ -n "$best" ] && [ "$lead" = "$best" ] || bad "the verdict names '$lead', the compare table's best recall@20 is '$best'"
    fi
done

# ---- 08: the evolution after SENet ----
# Parts 1 and 2 run on generated data; part 3 needs MovieLens-100K (without it
# the script must stop there with the message saying how to get it). Two
# settings, both scaled down (the full lesson trains about 630 epochs): A
# with MovieLens-100K when present, B always without it (the message).
# verdicts OUT: every "test recall@20: M leads" line must name the best
# recall@20 of the compare table printed before it.
verdicts() {
    sed 's/ ± /±/g' "$tmp/$1.out" | awk '
        $1 == "model" && $0 ~ /seeds/ && $0 ~ /recall@20/ { n = NF; bv = -1; for (i = 1; i <= NF; i++) if ($i == "recall@20") c = i; next }
        n && NF != n { n = 0 }
        n && NF == n { v = $c; sub(/±.*/, "", v); if (v + 0 > bv) { bv = v + 0; bm = $1 } next }
        /^test recall@20: [a-z_0-9]+ leads with / { nv++; if ($3 != bm) print "the verdict names " $3 ", the table before it " bm }
        END { if (!nv) print "no verdict line" }'
}
if [ -f "$tmp/shared/data/ml-100k/u.data" ]; then ml08=1; else ml08=0; fi
for tag in A B; do
    if [ $tag = A ]; then
        set -- -D EPOCHS=1 -D SIZE=tiny -D SEEDS=1,2 -D MLEPOCHS=1 -D CASTEPOCHS=1 -D CASTSIZE=tiny -D TASTES=tiny -D TEPOCHS=1; nseeds=2
    elif [ $quick = 1 ]; then
        set -- -D EPOCHS=2 -D SIZE=tiny -D SEEDS=1 -D MLEPOCHS=1 -D CASTEPOCHS=1 -D CASTSIZE=tiny -D TASTES=tiny -D TEPOCHS=2; nseeds=1
    else
        set -- -D EPOCHS=2 -D SIZE=small -D SEEDS=1 -D CASTEPOCHS=2 -D CASTSIZE=small -D TASTES=small -D TEPOCHS=2; nseeds=1
    fi
    ml=$ml08
    [ $tag = B ] && ml=0
    [ $ml = 1 ] || set -- "$@" -D ML100K="$tmp/nowhere"
    cur="08-evolution ($tag)"
    o=08-evolution.$tag
    (cd "$tmp/run" && "$TTLAB" "$@" "$exp/08-evolution.tt" < /dev/null > "$tmp/$o.out" 2> "$tmp/$o.err")
    rc=$?
    echo "08-evolution (file $*): exit $rc"
    if [ $ml = 1 ]; then
        [ $rc = 0 ] || { bad "exit status $rc"; tail -n 5 "$tmp/$o.err"; }
    else
        [ $rc = 1 ] || bad "without MovieLens-100K: exit $rc, expected 1"
        grep -q "MovieLens-100K not found in $tmp/nowhere: get it with datasets/fetch-movielens.sh 100k" "$tmp/$o.err" ||
            bad "without MovieLens-100K: no message saying how to get it"
    fi
    has $o '^== 08 '
    has $o 'protocol: synthetic-[0-9]+x[0-9]+-c[0-9]+-p[0-9]+-s42-n4-l2o'
    has $o 'protocol: synthetic-[0-9]+x[0-9]+-c[0-9]+-p[0-9]+-s42-x4-l2o'
    has $o 'protocol: synthetic-[0-9]+x[0-9]+-c[0-9]+-p[0-9]+-s42-a4-l2o'
    has $o 'protocol: synthetic-[0-9]+x[0-9]+-c[0-9]+-p[0-9]+-s42-t4-l2o'
    has $o '^model comirec_p = twotower uap i sim=cos temp=0.05 loss=softmax$'
    # the interests read-out: a row per interest of each multi-interest model
    for m in comirec_m mind_m comirec_p mind_s; do
        has $o "^$m +4 +"
    done
    has $o '^model lightse_t = twotower ul il sim=cos temp=0.05 loss=softmax$'
    has $o '^model dat_x = twotower u i sim=cos temp=0.05 loss=softmax augment=dat dat_w=0.5$'
    models="dssm_t senet_t lightse_t dssm_x parallel_x dat_x inttower_x dssm_c fe_c"
    models="$models dssm_m comirec_m mind_m comirec_p one_m"
    models="$models mean_s mlp32_s dssm_s one_s mind_s mind6_s comirec_s one_q mind_q mind6_q"
    [ $ml = 1 ] && models="$models dssm senet lightse parallel dat inttower comirec mind"
    for m in $models; do
        check "$m has $nseeds seeds" "$(tv $o model $m seeds) == $nseeds"
    done
    for f in tail1 tail2 tail3 tail4 hist slot; do
        [ -n "$(tv $o feature $f mean)" ] || bad "the weights tables have no row for $f"
    done
    for f in tail1 tail4 hist mood style; do
        [ -n "$(tv $o feature $f delta_recall@20)" ] || bad "the ablate tables have no row for $f"
    done
    v=$(verdicts $o)
    [ -z "$v" ] || bad "$v"
    n=$(grep -c '^test recall@20: [a-z_0-9]* leads with ' "$tmp/$o.out")
    check "one recall@20 verdict per part (two in part 2, three in part 3b)" "$n == 7 + $ml"
    if [ $ml = 1 ]; then
        has $o '^split l2o of ml: 98114 train, 943 valid, 943 test examples \(protocol:'
        has $o 'ml100k-l2o'
        has $o '^test ndcg@10: [a-z_]+ leads with '
        for f in user_id age gender occupation zip3 hist; do
            [ -n "$(tv $o feature $f mean)" ] || bad "the ML-100K weights have no row for $f"
        done
    fi
done

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
    if run 05-movielens A stdin "$@"; then
        o=05-movielens.A
        has $o 'protocol: ml100k-l2o'
        # (a line longer than 80 columns breaks at a word, its rest indented)
        has $o '^split l2o of ml-100k: 98114 train, 943 valid, 943 test examples \(protocol:$'
        has $o '^  ml100k-l2o\)$'
        # The deterministic floor, to the 4 decimals of PROTOCOL.md.
        has $o '^pop +valid +0\.0636 +0\.1007 +0\.1994 '
        has $o '^pop +test +0\.0498 +0\.0795 +0\.1410 +[0-9.]+ +[0-9.]+ +[0-9.]+ +0\.0258$'
        for m in dssm senet dssm_inbatch senet_r1; do
            [ -n "$(tv $o model $m recall@20)" ] || bad "no $m row"
        done
        for f in user_id age gender occupation zip3 hist item_id genres decade; do
            [ -n "$(tv $o feature $f mean)" ] || bad "the weights table has no row for $f"
        done
        # "at r=2 its excitation MLP has max(1, 3 / 2) = 1 hidden unit": a
        # constant item tower names that width
        if tr '\n' ' ' < "$tmp/$o.out" | grep -q 'item tower of senet, over all items: constant'; then
            tr '\n' ' ' < "$tmp/$o.out" | grep -q 'max(1, 3 fields / r=2) = 1' ||
                bad "a constant item tower without the hidden width 3 / 2 = 1"
        fi
    fi
else
    echo "skip 05-movielens: no MovieLens-100K at $shared/data/ml-100k (TTLAB_SHARED)"
fi

exit $fail
