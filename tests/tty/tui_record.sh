#!/bin/sh
# tui_record.sh: what a dashboard run leaves behind. Under tmux at 120x40, a
# run with the dashboard ends with every epoch's row of the per-epoch table
# and the summary line in the scrollback; a run paused for several seconds
# reports training seconds that leave the pause out; the quickstart script
# shows the dashboard at a terminal; Ctrl-D at a `pause` ends the line and
# the script; `compare` after seeds= fits 80 and 120 columns (whole cells,
# no wrapped line).
command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux is not installed (apt-get install tmux)"; exit 77; }
[ -x "$TTLAB" ] || { echo "FAIL: TTLAB=$TTLAB is not built"; exit 1; }
TMUX_NAME=tuir . "${top_srcdir:-.}/tests/tty/tmux_lib.sh"
cd "$tmp" || exit 1
"$TTLAB" -c 'load synthetic tiny; split l2o; model p = popularity; eval p' > /dev/null 2>&1 ||
  { echo "SKIP: no engine"; exit 77; }
now() { date +%s.%N; }

cat > setup.tt <<'TT'
load synthetic tiny
split l2o
tower u = embed dim=8 | mlp 16
model m = twotower u u
TT
T new-session -d -s tt -x 120 -y 40 "'$TTLAB'; exec sleep 120" || fail "tmux new-session"
wait_for 'ttlab>' 10 || fail "no prompt"
T send-keys -t tt 'source setup.tt; echo setup-done' Enter
wait_for '^setup-done' 30 || fail "setup did not run"

# 1. the record in the scrollback: 12 epochs, each a row, then the summary
T send-keys -t tt 'train m epochs=12 batch=64' Enter
wait_line '^trained m: 12 epochs' 60 || fail "no summary line after the dashboard"
grep -Eq '^model +epoch +loss +valid_recall@20 +valid_ndcg@20 +seconds +best' "$tmp/screen" ||
  fail "no per-epoch table header in the scrollback"
for e in 1 2 3 4 5 6 7 8 9 10 11 12; do
  grep -Eq "^m +$e +[0-9]+\.[0-9]{4} +0\.[0-9]{4} +0\.[0-9]{4} +[0-9]+\.[0-9]" "$tmp/screen" ||
    fail "epoch $e has no row in the scrollback"
done
[ "$(grep -Ec '^m +[0-9]+ .*\*$' "$tmp/screen")" = 1 ] || fail "not one best-epoch marker"
echo "ok: 12 epoch rows and the summary in the scrollback"

# 2. a pause of 4 s is not training time

T send-keys -t tt 'train m epochs=300 batch=64 valid=off' Enter
t0=$(now)
wait_for 'loss \(smoothed\)' 30 || fail "no dashboard"
T send-keys -t tt p
sleep 4
T send-keys -t tt p
wait_line '^trained m: 300 epochs' 120
t1=$(now)
line=$(grep '^trained m: 300 epochs' "$tmp/screen") || fail "the paused run did not end"
secs=$(echo "$line" | sed -n 's/.*, \([0-9.]*\) s, .*/\1/p')
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "paused run: reported $secs s, wall $wall s, pause 4 s"
awk -v s="$secs" -v w="$wall" 'BEGIN { exit !(s + 3 < w) }' || fail "the pause counted as training: $secs s of $wall s"
echo "ok: a 4 s pause is left out of seconds"

# 3. the first run shows the product: 00-quickstart.tt at a terminal
T kill-session -t tt; sleep 0.5
T new-session -d -s tt -x 120 -y 40 "EPOCHS=2 '$TTLAB' '${top_srcdir:-.}/experiments/00-quickstart.tt'; echo QS-DONE; exec sleep 120" ||
  fail "tmux new-session (quickstart)"
wait_for 'loss \(smoothed\)' 120 || fail "00-quickstart.tt shows no dashboard"
wait_line '^QS-DONE' 120
grep -q '^trained dssm: 2 epochs' "$tmp/screen" || fail "quickstart: no summary line"
grep -Eq '^dssm +2 +[0-9]' "$tmp/screen" || fail "quickstart: no epoch rows left"
echo "ok: the quickstart shows the dashboard and leaves its record"

# 4. Ctrl-D at a pause: a newline, and the script ends there
printf 'echo before\npause look\necho after\n' > p.tt
T kill-session -t tt; sleep 0.5
T new-session -d -s tt -x 80 -y 10 "'$TTLAB' p.tt; echo rc=\$?; exec sleep 60" || fail "tmux new-session (pause)"
wait_for 'press Enter' 10 || fail "no pause prompt"
T send-keys -t tt C-d
wait_for '^rc=' 10 || fail "Ctrl-D at the pause did not end the script"
grep -q '^rc=0$' "$tmp/screen" || fail "Ctrl-D at the pause: status"
grep -q '^after' "$tmp/screen" && fail "the script carried on after Ctrl-D at the pause"
echo "ok: Ctrl-D at a pause"

# 5. compare with seeds fits the terminal: no line longer than it, no cut number
for cols in 80 120; do
  T kill-session -t tt; sleep 0.5
  T new-session -d -s tt -x $cols -y 40 "'$TTLAB'; exec sleep 120" || fail "tmux new-session ($cols)"
  wait_for 'ttlab>' 10 || fail "no prompt ($cols)"
  T send-keys -t tt 'set dashboard off; set progress off; set quiet on; source setup.tt; model b = twotower u u; train b epochs=1 seeds=1,2,3' Enter
  sleep 1
  wait_for 'ttlab> *$' 60 || fail "setup ($cols)"
  T send-keys -t tt 'compare b' Enter
  wait_for '^split: test' 30 || fail "no compare table at $cols columns"
  T capture-pane -p -J -t tt > "$tmp/screen"
  # the table: from the command to the next prompt
  awk '/^ttlab> compare b/ { on = 1; next } /^ttlab>/ { on = 0 } on' "$tmp/screen" > "$tmp/table"
  sed 's/±/+/g' "$tmp/table" | awk -v w=$cols 'length($0) > w { bad = 1 } END { exit bad }' ||
    fail "a line of the compare table is wider than $cols columns"
  grep -Eq '^b +([0-9.]+ +)*0\.[0-9]{4} ± 0\.[0-9]{4}( |$)' "$tmp/screen" || fail "no whole mean ± std cell at $cols columns"
  # by priority: the model and the headline recall@20 stay, params and
  # train_s (optional) go first, and the line under the table says so
  grep -Eq '^model +seeds .*recall@20( |$)' "$tmp/table" || fail "the key columns are not kept at $cols"
  tr '\n' ' ' < "$tmp/table" | grep -q "not shown in $cols columns: params, train_s, .*mrr" ||
    fail "the table does not say what it left out at $cols"
  echo "ok: compare with seeds at $cols columns"
done
exit 0
