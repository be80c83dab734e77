#!/bin/sh
# test_session_man: the man page documents exactly the command table: the
# same commands (from `help`), every option of each (from `help CMD`), every
# setting and tower stage; and groff finds nothing to complain about.
set -u
man="$top_srcdir/man/ttlab.1"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0

"$TTLAB" -c help | sed -n 's/^  \([a-z][a-z_]*\) .*/\1/p' | sort > "$tmp/table"
sed -n '/^\.SH COMMANDS/,/^\.SH TOWERS/p' "$man" | sed -n 's/^\.SS \([a-z_]*\)$/\1/p' | sort > "$tmp/man"
[ -s "$tmp/table" ] || { echo "no commands in 'help'"; exit 1; }
if ! cmp -s "$tmp/table" "$tmp/man"; then
  echo "man page commands differ from the command table (< table, > man):"
  diff "$tmp/table" "$tmp/man"
  fail=1
fi

# Every option key (and its default) of every command appears in its section.
for c in $(cat "$tmp/table"); do
  [ "$c" = tower ] && continue      # stage options: checked in TOWERS below
  sed -n "/^\.SS $c\$/,/^\.S[SH] /p" "$man" > "$tmp/sec"
  "$TTLAB" -c "help $c" | sed -n 's/^  \([a-z_0-9]*\)=\([^ ]*\) .*/\1 \2/p' > "$tmp/opts"
  while read -r key def; do
    d=$(printf '%s' "$def" | sed 's/-/\\\\-/g')
    grep -q "fB$key=\\\\fP$d\$" "$tmp/sec" || { echo "man: '$c' lacks option $key=$def"; fail=1; }
  done < "$tmp/opts"
done

# Tower stages and their options, in TOWERS.
sed -n '/^\.SH TOWERS/,/^\.SH OUTPUT/p' "$man" > "$tmp/towers"
for st in embed senet mlp channels l2norm fm cross dim= fields= r= squeeze= gate= groups= out=; do
  grep -q "$st" "$tmp/towers" || { echo "man TOWERS lacks '$st'"; fail=1; }
done

# Every model kind of the kind table, and every option of each, in BASELINES
# (the kinds from the unknown-kind message, the options from the
# unknown-option message: both are built from the table).
sed -n '/^\.SH BASELINES/,/^\.SH OUTPUT/p' "$man" > "$tmp/base"
kinds=$("$TTLAB" -c 'model x = nosuchkind' 2>&1 | sed -n 's/.*(expected \(.*\)or MODEL with.*/\1/p' | tr -d ',')
[ -n "$kinds" ] || { echo "no kinds in the unknown-kind message"; fail=1; }
for k in $kinds; do
  [ "$k" = twotower ] && continue
  grep -q "^\.B $k" "$tmp/base" || { echo "man BASELINES lacks kind '$k'"; fail=1; }
  opts=$("$TTLAB" -c "model x = $k nosuchopt=1" 2>&1 | sed -n "s/.*(it takes \(.*\))\$/\1/p" | tr -d ',')
  for o in $opts; do
    [ "$o" = "no" ] || [ "$o" = "options" ] && continue
    def=$("$TTLAB" -c "model x = $k; show model x" 2>&1 | sed -n "s/.* $o=\([^ ]*\).*/\1/p")
    grep "^\.B $k" "$tmp/base" | grep -q "fP$o=$def\\\\fR" || { echo "man BASELINES lacks $k option $o=$def"; fail=1; }
  done
done

for sec in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS FILES ENVIRONMENT '"EXIT STATUS"' EXAMPLES; do
  grep -q "^\.SH $sec" "$man" || { echo "man lacks section $sec"; fail=1; }
done
for flag in json keep-going quiet version help; do
  pat=$(printf '%s' "--$flag" | sed 's/-/\\-/g')
  grep -qF -- "$pat" "$man" || { echo "man lacks --$flag"; fail=1; }
done

if command -v groff >/dev/null 2>&1; then
  out=$(groff -man -ww -z "$man" 2>&1)
  [ -z "$out" ] || { echo "groff: $out"; fail=1; }
fi
exit $fail
