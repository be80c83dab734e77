#!/bin/sh
# tui_ttlab.sh: the real ttlab under tmux trains a small SENet two-tower model
# on the generated data with the dashboard: panels and every feature's bar,
# p pauses, a resize to 20x6 does not crash, s stops and the prompt returns,
# Ctrl-C stops a second run, the terminal is sane after quit. Without a
# terminal the same training prints plain progress and no escape sequence.
command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux is not installed (apt-get install tmux)"; exit 77; }
[ -x "$TTLAB" ] || { echo "FAIL: TTLAB=$TTLAB is not built"; exit 1; }
TMUX_NAME=tuit . "${top_srcdir:-.}/tests/tty/tmux_lib.sh"
step() { grep -Eo 'step [0-9]+' "$tmp/screen" | head -n 1; }
cd "$tmp" || exit 1

cat > setup.tt <<'TT'
load synthetic small
split l2o
tower us = embed dim=16 | senet r=2 | mlp 32 | l2norm
tower is = embed dim=16 | senet r=2 | mlp 32 | l2norm
model se = twotower us is
TT

if ! printf 'help train\n' | "$TTLAB" 2>&1 | grep -q 'usage: train'; then
  echo "SKIP: this ttlab has no train command yet"
  exit 77
fi

# Without a terminal: plain progress on stderr, never curses.
printf 'source setup.tt\ntrain se epochs=1\nset output csv\nfeatures\n' | "$TTLAB" > out.txt 2> err.txt
rc=$?
if grep -q 'not implemented in this build' out.txt err.txt; then
  echo "SKIP: this ttlab lacks engine parts: $(grep -h 'not implemented' out.txt err.txt | head -n 1)"
  exit 77
fi
[ $rc -eq 0 ] || { cat out.txt err.txt; fail "training without a terminal: status $rc"; }
grep -q 'se epoch 1/1' err.txt || { cat err.txt; fail "no plain progress line on stderr"; }
if grep -q "$(printf '\033')" out.txt err.txt; then fail "escape sequences without a terminal"; fi
user_f=$(sed -n 's/^\([A-Za-z0-9_]*\),\(user\|context\),.*/\1/p' out.txt)
item_f=$(sed -n 's/^\([A-Za-z0-9_]*\),item,.*/\1/p' out.txt)
[ -n "$user_f" ] && [ -n "$item_f" ] || fail "no features listed: $(cat out.txt)"
echo "ok: no terminal (features: $(echo $user_f) / $(echo $item_f))"

# On a terminal: the dashboard.
T new-session -d -s tt -x 120 -y 40 \
  "'$TTLAB'; echo rc=\$? > '$tmp/rc'; stty -a > '$tmp/stty'; echo PROMPT-BACK; exec sleep 120" \
  || fail "tmux new-session"
wait_for 'ttlab>' 10 || fail "no prompt"
T send-keys -t tt 'source setup.tt; echo setup-done' Enter
wait_for '^setup-done' 30 || fail "setup did not run"
T send-keys -t tt 'train se epochs=200' Enter
wait_for 'SENet (excitation )?weights' 30 || fail "no dashboard"
wait_for 'valid Recall@20 per epoch +now' 60 || fail "no valid recall after the first epoch"
for pat in 'ttlab \| model se \| (seed [0-9]+ \| )?epoch [0-9]+/200 \| batch [0-9]+/[0-9]+' 'ex/s' 'ETA [0-9:]+' \
           'loss \(smoothed\)' 'user tower' 'item tower' '\* se \(now\)' 'p pause +s/q stop'; do
  grep -Eq -- "$pat" "$tmp/screen" || fail "missing on screen: $pat"
done
for f in $user_f $item_f; do
  grep -Eq "(^| )$f +[^ ]+ [0-9]\.[0-9]{2} " "$tmp/screen" || fail "no bar for feature $f"
done
cp "$tmp/screen" "$tmp/dashboard"
echo "ok: dashboard with a bar per feature"

T send-keys -t tt p
wait_for '\[PAUSED\]' 5 || fail "p did not pause"
s1=$(step); sleep 1; cap; s2=$(step)
[ -n "$s1" ] && [ "$s1" = "$s2" ] || fail "training moved while paused ($s1 -> $s2)"
T send-keys -t tt p
sleep 0.5
T resize-window -t tt -x 20 -y 6; sleep 1; cap
grep -q 'ttlab' "$tmp/screen" || fail "no header at 20x6"
[ -e "$tmp/rc" ] && fail "ttlab ended after a resize to 20x6"
T resize-window -t tt -x 120 -y 40
wait_for 'item tower' 10 || fail "panels not back after the resize"
s3=$(step)
[ "$s3" != "$s2" ] || fail "training did not resume"
echo "ok: pause, resize to 20x6 and back"

T send-keys -t tt s
wait_for 'ttlab> *$' 30 || fail "s did not bring the prompt back"
grep -Eq 'SENet (excitation )?weights' "$tmp/screen" && fail "dashboard left on the screen"
T send-keys -t tt 'echo still-alive' Enter
wait_for '^still-alive' 10 || fail "prompt does not work after the dashboard"
echo "ok: s stops, prompt back"

# Ctrl-C during a second run, while paused: stops, prompt back.
T send-keys -t tt 'train se epochs=200' Enter
wait_for 'SENet (excitation )?weights' 30 || fail "no dashboard (second run)"
T send-keys -t tt p
wait_for '\[PAUSED\]' 5 || fail "p did not pause (second run)"
T send-keys -t tt C-c
wait_for 'ttlab> *$' 30 || fail "Ctrl-C did not bring the prompt back"
T send-keys -t tt 'echo alive-after-ctrl-c' Enter
wait_for '^alive-after-ctrl-c' 10 || fail "prompt does not work after Ctrl-C"
echo "ok: Ctrl-C while paused"

T send-keys -t tt 'quit' Enter
wait_for 'PROMPT-BACK' 10 || fail "quit did not end ttlab"
grep -q 'rc=0' "$tmp/rc" || fail "ttlab exit status: $(cat "$tmp/rc")"
grep -Eq '(^| )icanon( |;|$)' "$tmp/stty" || fail "icanon off after ttlab: $(cat "$tmp/stty")"
grep -Eq '(^| )echo( |;|$)' "$tmp/stty" || fail "echo off after ttlab: $(cat "$tmp/stty")"
echo "ok: quit, terminal sane"
echo "--- the dashboard:"
cat "$tmp/dashboard"
exit 0
