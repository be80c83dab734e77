#!/bin/sh
# test_walk_man: ttlab-tutorial(7) is clean for groff -man -ww, has a section
# for every walkthrough script in experiments/ and names no script that is
# missing, and its tower/model lines are accepted by ttlab as written.
set -u
: "${TTLAB:?}" "${top_srcdir:?}"
man="$top_srcdir/man/ttlab-tutorial.7"
fail=0
if command -v groff > /dev/null 2>&1; then
    out=$(groff -man -ww -z "$man" 2>&1)
    [ -z "$out" ] || { echo "groff: $out"; fail=1; }
else
    echo "no groff: the formatting check is skipped"
fi
for f in "$top_srcdir"/experiments/0*.tt; do
    n=$(basename "$f")
    grep -q "^\.SS $n" "$man" || { echo "no section for $n"; fail=1; }
done
for n in $(sed -n 's/^\.SS \([0-9][0-9]-[a-z0-9-]*\.tt\).*/\1/p' "$man"); do
    [ -f "$top_srcdir/experiments/$n" ] || { echo "the page names $n, which is missing"; fail=1; }
done
# The definitions the page shows, in order, must be accepted.
defs=$(sed -n '/^\.nf$/,/^\.fi$/p' "$man" | grep -E '^(tower|model) [a-z_0-9]+ = ' | tr '\n' ';')
[ -n "$defs" ] || { echo "no definitions found in the page"; fail=1; }
"$TTLAB" -c "load synthetic tiny; $defs" > /dev/null 2>&1 || {
    echo "ttlab refuses the page's definitions: $defs"
    "$TTLAB" -c "load synthetic tiny; $defs" 2>&1 | tail -n 2
    fail=1
}
exit $fail
