#!/bin/sh
# test_interrupt: Ctrl-C under a real terminal (tmux), as a person sends it.
#  1. a script training with the dashboard: Ctrl-C stops it, ttlab exits 130,
#     the terminal is given back sane (canonical mode, echo);
#  2. at the prompt, training with the dashboard: Ctrl-C stops at a batch
#     boundary, the prompt comes back, and the model is kept (eval works);
#  3. the same with plain progress lines (dashboard off);
#  4. two Ctrl-C in a row during training: ttlab leaves at once with 130,
#     the terminal sane;
#  5. at the prompt, Ctrl-C clears the line being typed and ttlab stays.
# Skipped without tmux or without the engine.
command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux is not installed"; exit 77; }
: "${TTLAB:?}"
TMUX_NAME=int . "${top_srcdir:-.}/tests/tty/tmux_lib.sh"
(cd "$tmp" && "$TTLAB" -c 'load synthetic tiny; split l2o; tower u = embed dim=4 | mlp 4; model m = twotower u u; train m epochs=1') \
  > /dev/null 2>&1 || { echo "SKIP: engine not available"; exit 77; }
# start COMMAND: run it in a fresh 100x30 pane; the pane then records the
# exit status and the terminal settings it was given back. Ctrl-C goes to the
# whole foreground group: the pane's shell traps it so that it lives on to
# record them (the trap is reset to the default in ttlab).
start() {
  T kill-server >/dev/null 2>&1
  rm -f "$tmp/rc" "$tmp/stty"
  for try in 1 2 3 4 5; do
    T new-session -d -s tt -x 100 -y 30 \
      "trap : INT; cd '$tmp' && HOME='$tmp' $*; echo rc=\$? > '$tmp/rc'; stty -a > '$tmp/stty'; echo PROMPT-BACK; exec sleep 120" \
      2>/dev/null && return 0
    sleep 0.3
  done
  fail "tmux new-session"
}
finished() { # WANT_RC: wait for the command to end, check its status and the terminal
  i=0
  while [ ! -s "$tmp/rc" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
  [ -s "$tmp/rc" ] || fail "ttlab did not end"
  grep -qx "rc=$1" "$tmp/rc" || fail "exit status $(cat "$tmp/rc"), want rc=$1"
  sleep 0.2
  grep -Eq '(^| )icanon( |;|$)' "$tmp/stty" || fail "icanon off after ttlab: $(cat "$tmp/stty")"
  grep -Eq '(^| )echo( |;|$)' "$tmp/stty" || fail "echo off after ttlab: $(cat "$tmp/stty")"
}
type_line() { T send-keys -t tt -l "$1"; T send-keys -t tt Enter; }

SETUP='load synthetic small; split l2o; tower u = embed dim=8 | mlp 16 | l2norm; model m = twotower u u loss=inbatch'
cat > "$tmp/long.tt" <<T
$SETUP
train m epochs=256 batch=64
echo not reached
T

# 1. script + dashboard + Ctrl-C
start "'$TTLAB' long.tt"
wait_for 'model m .*epoch [0-9]+/256' 60 || fail "1: the dashboard did not show training"
T send-keys -t tt C-c
finished 130
cap
grep -q 'not reached' "$tmp/screen" && fail "1: the script went on after Ctrl-C"

# 2. prompt + dashboard: stop, prompt back, model kept
start "'$TTLAB'"
wait_for '^ttlab>' 20 || fail "2: no prompt"
type_line "$SETUP"
type_line 'train m epochs=256 batch=64'
wait_for 'model m .*epoch [0-9]+/256' 60 || fail "2: the dashboard did not show training"
T send-keys -t tt C-c
wait_for 'trained m|stopped' 30 || fail "2: no word that training stopped"
wait_for '^ttlab> ?$' 30 || fail "2: the prompt did not come back"
type_line 'eval m split=valid'
wait_for '^m +valid +[0-9]' 60 || fail "2: the interrupted model cannot be evaluated"
type_line 'quit'
finished 0

# 3. prompt + progress lines
start "'$TTLAB'"
wait_for '^ttlab>' 20 || fail "3: no prompt"
type_line "set dashboard off; $SETUP"
type_line 'train m epochs=256 batch=64'
wait_for 'm epoch 1/256' 60 || fail "3: no progress line"
T send-keys -t tt C-c
wait_for '^ttlab> ?$' 30 || fail "3: the prompt did not come back"
type_line 'eval m split=valid'
wait_for '^m +valid +[0-9]' 60 || fail "3: the interrupted model cannot be evaluated"
type_line 'quit'
finished 0

# 4. two Ctrl-C: out at once. Batches of seconds (mlp 2048 2048, 8192
# examples: about 2.5 s each here), so that both land inside one batch (two
# sent together merge into one signal, and a second one after the batch
# boundary meets the prompt, which only clears a line).
start "'$TTLAB'"
wait_for '^ttlab>' 20 || fail "4: no prompt"
type_line "load synthetic small; split l2o; tower b = embed dim=64 | mlp 2048 2048 | l2norm; model big = twotower b b"
type_line 'train big epochs=50 batch=8192 valid=off'
wait_for 'model big .*epoch [0-9]+/50' 60 || fail "4: the dashboard did not show training"
T send-keys -t tt C-c
sleep 0.2
T send-keys -t tt C-c
finished 130

# 5. Ctrl-C at the prompt clears the line
start "'$TTLAB'"
wait_for '^ttlab>' 20 || fail "5: no prompt"
T send-keys -t tt -l 'echo LOST-TEXT'
T send-keys -t tt C-c
sleep 0.3
type_line 'echo STILL-HERE'
wait_for '^STILL-HERE' 20 || fail "5: ttlab did not survive Ctrl-C at the prompt"
grep -q '^LOST-TEXT' "$tmp/screen" && fail "5: the cleared line was run"
type_line 'quit'
finished 0
echo "ok"
exit 0
