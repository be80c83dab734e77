#!/bin/sh
# tui.sh: the dashboard under tmux, fed by tests/tty/tui_driver: the panels and
# every feature's bar are drawn, p pauses, s and Ctrl-C stop, w and ? toggle,
# resizing down to 20x6 (and 8x2) does not crash, the terminal is sane after
# a normal close, a stop, Ctrl-C and exit() without close; never curses
# without a terminal.
command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux is not installed (apt-get install tmux)"; exit 77; }
: "${top_builddir:=.}"
driver=$top_builddir/tests/tty/tui_driver
[ -x "$driver" ] || { echo "FAIL: $driver not built"; exit 1; }
TMUX_NAME=tui . "${top_srcdir:-.}/tests/tty/tmux_lib.sh"
# start W H COMMAND: a command (the driver) in a fresh pane; afterwards the pane records
# the exit status and `stty -a` of the terminal the dashboard gave back.
start() {
  w=$1 h=$2; shift 2
  T kill-server >/dev/null 2>&1
  rm -f "$tmp/rc" "$tmp/stty"
  # the old server may still be exiting: try a few times
  for try in 1 2 3 4 5; do
    T new-session -d -s tt -x "$w" -y "$h" \
      "$*; echo rc=\$? > '$tmp/rc'; stty -a > '$tmp/stty'; echo PROMPT-BACK; exec sleep 120" \
      2>/dev/null && return 0
    sleep 0.3
  done
  fail "tmux new-session"
}
sane() { # the terminal after the dashboard: canonical mode and echo back on
  [ -s "$tmp/stty" ] || fail "no stty output ($1)"
  grep -Eq '(^| )icanon( |;|$)' "$tmp/stty" || fail "icanon off after $1: $(cat "$tmp/stty")"
  grep -Eq '(^| )echo( |;|$)' "$tmp/stty" || fail "echo off after $1: $(cat "$tmp/stty")"
}
step() { grep -Eo 'step [0-9]+' "$tmp/screen" | head -n 1; }

# 1. the full dashboard at 120x40
start 120 40 "'$driver' --delay-ms 5 --epochs 50"
wait_for 'SENet (excitation )?weights' 15 || fail "no SENet panel"
wait_for 'valid Recall@20 per epoch +now' 15 || fail "no recall of a finished epoch"
for pat in 'ttlab \| model senet-demo \| epoch [0-9]+/50 \| batch [0-9]+/100' 'ex/s' \
           'elapsed [0-9:]+' 'ETA [0-9:]+' 'loss \(smoothed\)' 'user tower' 'item tower' \
           '\* senet-demo \(now\) +o dssm +x senet-r4' 'p pause +s/q stop +w weights +g gnuplot +\? help'; do
  grep -Eq -- "$pat" "$tmp/screen" || fail "missing on screen: $pat"
done
for f in user_id age gender occupation zip3 hist ctx_noise item_id genres decade item_noise; do
  grep -Eq "(^| )$f +[^ ]+ [0-9]\.[0-9]{2} " "$tmp/screen" || fail "no bar for feature $f"
done
# the planted per-interaction noise sinks below half the median: marked S
wait_for 'ctx_noise +[^ ]+ 0\.[0-9]{2} [^ ]+ S' 20 || fail "ctx_noise never marked suppressed"
grep -Eq '(^| )(user_id|age|gender|occupation|zip3|hist|item_id|genres|decade) +[^ ]+ [0-9.]+ [^ ]+ S *$' "$tmp/screen" \
  && fail "a feature other than ctx_noise/item_noise marked suppressed"
echo "ok: panels, bars, suppressed mark"

# p pauses (the step stops moving), p resumes
T send-keys -t tt p
wait_for '\[PAUSED\]' 5 || fail "p did not show PAUSED"
grep -q 'PAUSED: p resume' "$tmp/screen" || fail "status line does not say paused"
s1=$(step); sleep 1; cap; s2=$(step)
[ -n "$s1" ] && [ "$s1" = "$s2" ] || fail "training moved while paused ($s1 -> $s2)"
T send-keys -t tt p
sleep 1; cap
grep -q 'PAUSED' "$tmp/screen" && fail "p did not resume"
s3=$(step)
[ "$s3" != "$s2" ] || fail "training did not move after resume ($s2)"
echo "ok: pause/resume ($s1 held, then $s3)"

# w hides and shows the weights, ? shows help
T send-keys -t tt w; sleep 0.5; cap
grep -Eq 'SENet (excitation )?weights' "$tmp/screen" && fail "w did not hide the weights"
T send-keys -t tt w
wait_for 'SENet (excitation )?weights' 5 || fail "w did not bring the weights back"
T send-keys -t tt '?'
wait_for 'stop after this batch; the model keeps' 5 || fail "? shows no help"
T send-keys -t tt '?'
wait_for 'SENet (excitation )?weights' 5 || fail "? did not close the help"
echo "ok: w, ?"

# resize to tiny sizes while it runs: still alive, and back
T resize-window -t tt -x 20 -y 6; sleep 1; cap
[ -e "$tmp/rc" ] && fail "the driver ended after a resize to 20x6"
grep -q 'ttlab' "$tmp/screen" || fail "no header at 20x6"
cp "$tmp/screen" "$tmp/screen-20x6"
T resize-window -t tt -x 8 -y 2; sleep 0.5
T resize-window -t tt -x 60 -y 20; sleep 0.5; cap
[ -e "$tmp/rc" ] && fail "the driver ended after a resize to 8x2"
grep -q 'enlarge the window' "$tmp/screen" || fail "no '... more' line at 60x20"
T resize-window -t tt -x 120 -y 40
wait_for 'item_noise +[^ ]+ [0-9]\.' 5 || fail "panels not back at 120x40"
echo "ok: resize 20x6, 8x2, 60x20, back"
echo "--- screen at 20x6:"; cat "$tmp/screen-20x6"

# s stops after this batch; the terminal comes back sane
T send-keys -t tt s
wait_for 'PROMPT-BACK' 10 || fail "s did not stop the driver"
grep -q 'tui_driver: stopped at step' "$tmp/screen" || fail "driver did not report a stop"
grep -q 'rc=0' "$tmp/rc" || fail "driver exit status: $(cat "$tmp/rc")"
grep -q 'ttlab | model' "$tmp/screen" && fail "dashboard left on the screen after close"
sane "s"
echo "ok: s stops, terminal sane"

# 2. g opens a live gnuplot window (a fake gnuplot that records what it is
# sent, and a fake display), g closes it; then Ctrl-C stops at the next batch
# and restores the terminal
mkdir "$tmp/fake"
cat > "$tmp/fake/gnuplot" <<EOF
#!/bin/sh
case "\$*" in
  *GPVAL_TERMINALS*) echo "dumb qt svg" >&2; exit 0 ;;
esac
cat >> "$tmp/fake/log"
EOF
chmod +x "$tmp/fake/gnuplot"
start 100 30 "env DISPLAY=:99 PATH='$tmp/fake:$PATH' '$driver' --delay-ms 5 --epochs 50"
wait_for 'SENet (excitation )?weights' 15 || fail "no dashboard (Ctrl-C run)"
T send-keys -t tt g
wait_for 'gnuplot window open' 5 || fail "g did not open a live window"
sleep 1.5
grep -q "^set terminal qt noraise" "$tmp/fake/log" || fail "live window: no qt terminal"
grep -q "^plot '-' using 1:2 with lines linecolor 1 dashtype 1 pointtype 4 title \"senet-demo\"" "$tmp/fake/log" || fail "live window: no loss plot"
T send-keys -t tt g
wait_for 'gnuplot window closed' 5 || fail "g did not close the live window"
sleep 0.3
grep -q '^exit$' "$tmp/fake/log" || fail "live window: gnuplot not told to exit"
echo "ok: g (live gnuplot window)"
T send-keys -t tt C-c
wait_for 'PROMPT-BACK' 10 || fail "Ctrl-C did not stop the driver"
grep -q 'tui_driver: stopped at step' "$tmp/screen" || fail "Ctrl-C: driver did not report a stop"
sane "Ctrl-C"
echo "ok: Ctrl-C"

# 2b. a host with its own SIGINT handler (as the session): Ctrl-C while
# paused wakes the dashboard, stops, and the host's handler ran too
start 100 30 "'$driver' --delay-ms 5 --epochs 50 --host-sigint"
wait_for 'SENet (excitation )?weights' 15 || fail "no dashboard (host handler run)"
T send-keys -t tt p
wait_for '\[PAUSED\]' 5 || fail "host run: p did not pause"
T send-keys -t tt C-c
wait_for 'PROMPT-BACK' 10 || fail "Ctrl-C while paused did not stop"
grep -q 'tui_driver: host handler called 1 times, back in place' "$tmp/screen" \
  || fail "the host's SIGINT handler was not chained or not restored"
sane "Ctrl-C while paused"
echo "ok: Ctrl-C while paused, host handler chained"

# 3. exit() with the dashboard open: atexit restores the terminal
start 100 30 "'$driver' --delay-ms 2 --exit-at 200"
wait_for 'PROMPT-BACK' 20 || fail "exit-at run did not end"
grep -q 'rc=3' "$tmp/rc" || fail "exit-at: status $(cat "$tmp/rc")"
sane "exit() without close"
echo "ok: exit path"

# 4. a run to its end at a small size (the SENet panel below the curves)
start 70 24 "'$driver' --delay-ms 0 --epochs 3 --batches 50"
wait_for 'PROMPT-BACK' 20 || fail "short run did not finish"
grep -q 'tui_driver: finished 150 steps' "$tmp/screen" || fail "short run did not finish all steps"
sane "normal end"
echo "ok: run to the end"

# 5. no colours, no UTF-8 (vt100, C locale): ASCII bars, curve and marks
start 110 34 "env -u DISPLAY -u WAYLAND_DISPLAY LC_ALL=C TERM=vt100 '$driver' --delay-ms 5 --epochs 50"
wait_for 'ctx_noise +[#.]+ 0\.[0-9]{2} [^ ]+ S' 20 || fail "ASCII: no suppressed ctx_noise bar"
for f in user_id age gender occupation zip3 hist item_id genres decade item_noise; do
  grep -Eq "(^| )$f +[#.]+ [0-9]\.[0-9]{2} [_.,=+*#-]+" "$tmp/screen" || fail "ASCII: no bar/sparkline for $f"
done
grep -Eq '^ +[0-9.]+\|.*\*' "$tmp/screen" || fail "ASCII: no loss curve"
if LC_ALL=C grep -q "$(printf '\342')" "$tmp/screen"; then fail "ASCII: UTF-8 drawing on a C locale"; fi
T send-keys -t tt g
wait_for 'no display for a live gnuplot window' 5 || fail "g without a display: no message"
T send-keys -t tt s
wait_for 'PROMPT-BACK' 10 || fail "ASCII: s did not stop"
sane "vt100"
echo "ok: no colours, ASCII"

# 6. a terminal ncurses does not know: no dashboard, plain progress, no crash
start 80 24 "env TERM=no-such-terminal '$driver' --epochs 2 --batches 5 --delay-ms 0"
wait_for 'PROMPT-BACK' 10 || fail "unknown TERM: the driver did not end"
grep -q 'tui_driver: finished 10 steps' "$tmp/screen" || fail "unknown TERM: run did not finish"
grep -q 'epoch 2/2' "$tmp/screen" || fail "unknown TERM: no plain progress"
echo "ok: unknown TERM"

# 7. no terminal: no curses, plain progress on stderr
"$driver" --epochs 2 --batches 5 --delay-ms 0 < /dev/null > "$tmp/out" 2> "$tmp/err" || fail "non-tty run failed"
grep -q 'finished 10 steps' "$tmp/out" || fail "non-tty: no end line"
grep -q 'epoch 2/2' "$tmp/err" || fail "non-tty: no progress lines on stderr"
if grep -q "$(printf '\033')" "$tmp/out" "$tmp/err"; then fail "escape sequences written without a terminal"; fi
echo "ok: no terminal, no curses"

# 8. an item tower whose excitation does not vary across items: the SENet
# panel says so on that tower's rows, in words, with the reason, at every size;
# the user tower is not called constant
for size in "120 40" "100 30" "80 24"; do
  set -- $size
  start "$1" "$2" "'$driver' --delay-ms 5 --epochs 20 --constant-items"
  wait_for 'item tower - CONSTANT - hidden width 1' 15 || fail "constant item tower not named at $1x$2"
  grep -q 'user tower - CONSTANT' "$tmp/screen" && fail "user tower called constant at $1x$2"
  grep -Eq 'C = constant' "$tmp/screen" || fail "no legend for the C mark at $1x$2"
  wait_for '(^| )genres +[^ ]+ [0-9]\.[0-9]{2} [^ ]+ C *$' 5 || fail "genres row not marked C at $1x$2"
done
echo "ok: constant excitation named on the item tower's rows"
exit 0
