#!/bin/sh
# lines_fit.sh: at a terminal of 80x24 and of 120x40 (tmux), what ttlab prints
# fits the terminal's width (issue 11, deliver 8): the `trained` summary line
# after a dashboard run and after plain progress lines, the verdict of `rank`,
# the compare table of a seeds= run and the weights table. Lines are captured
# joined (-J), so a line the terminal itself had to wrap shows up longer than
# the width; a line ttlab broke at a word continues indented by two blanks.
command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux is not installed (apt-get install tmux)"; exit 77; }
[ -x "$TTLAB" ] || { echo "FAIL: TTLAB=$TTLAB is not built"; exit 1; }
TMUX_NAME=lfit . "${top_srcdir:-.}/tests/tty/tmux_lib.sh"
cd "$tmp" || exit 1
"$TTLAB" -c 'load synthetic tiny; split l2o; model p = popularity; eval p' > /dev/null 2>&1 ||
  { echo "SKIP: no engine"; exit 77; }
# widest line ttlab printed, in characters (a UTF-8 sequence counts one; the
# typed command lines, which the terminal wraps, are not ttlab's)
widest() { grep -v '^ttlab>' "$1" | LC_ALL=C sed 's/[\xc2-\xf4][\x80-\xbf]*/./g' | awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }'; }

cat > setup.tt <<'TT'
set seed 1
load synthetic tiny
split l2o
tower u = embed dim=8 | mlp 16 | l2norm
tower i = embed dim=8 | senet r=1 | mlp 16 | l2norm
model a_model_with_a_long_name = twotower u i
model p = popularity
train p
TT
for size in "80 24" "120 40"; do
  set -- $size
  cols=$1
  T kill-server >/dev/null 2>&1; sleep 0.3
  T new-session -d -s tt -x "$1" -y "$2" "'$TTLAB'; exec sleep 120" || fail "tmux new-session ($cols)"
  wait_for 'ttlab>' 10 || fail "no prompt ($cols)"
  T send-keys -t tt 'source setup.tt; echo setup-done' Enter
  wait_line '^setup-done' 30 || fail "setup ($cols)"
  # with the dashboard (its summary line comes after it closes), then plain
  T send-keys -t tt 'train a_model_with_a_long_name epochs=2 seeds=1,2' Enter
  wait_line '^trained a_model_with_a_long_name \(seed 2\)' 60 || fail "no summary line after the dashboard ($cols)"
  T send-keys -t tt 'set dashboard off; model b_model_with_a_long_name = twotower u i; train b_model_with_a_long_name epochs=2; echo trained-plain' Enter
  wait_line '^trained-plain' 60 || fail "plain training did not end ($cols)"
  T send-keys -t tt 'rank a_model_with_a_long_name b_model_with_a_long_name p; compare a_model_with_a_long_name p; weights a_model_with_a_long_name; echo all-done' Enter
  wait_line '^all-done' 60 || fail "rank, compare, weights did not end ($cols)"
  w=$(widest "$tmp/screen")
  [ "$w" -le "$cols" ] || fail "a line of $w columns on a terminal of $cols: $(grep -v '^ttlab>' "$tmp/screen" | awk -v c="$cols" 'length($0) > c' | head -n 3)"
  grep -q '^trained b_model_with_a_long_name: 2 epochs' "$tmp/screen" || fail "no plain summary line ($cols)"
  grep -Eq 'test recall@20: [a-z_]+ leads with' "$tmp/screen" || fail "no verdict ($cols)"
  if [ "$cols" = 80 ]; then
    # the verdict is longer than 80: its later lines start with two blanks
    sed -n '/test recall@20: [a-z_]* leads with/{n;p;}' "$tmp/screen" | grep -q '^  [^ ]' ||
      fail "the verdict is not broken at a word with an indent at 80"
    sed -n '/^trained b_model_with_a_long_name: 2 epochs/{n;p;}' "$tmp/screen" | grep -q '^  [^ ].*examples/s' ||
      fail "the plain summary line is not broken at a word at 80"
  fi
  grep -Eq '^model +seeds .*recall@20' "$tmp/screen" || fail "compare lost its key columns at $cols"
  cp "$tmp/screen" "$tmp/screen-$cols"
  echo "ok: every line fits $cols columns (summary lines, verdict, compare, weights)"
done
exit 0
