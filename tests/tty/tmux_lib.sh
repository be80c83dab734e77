# tests/tty/tmux_lib.sh: the harness the tmux-driven tests share. Source it after
# setting TMUX_NAME (names the private tmux server); it makes $tmp, T (tmux on
# that server), cap (the pane's screen into $tmp/screen), wait_for PATTERN
# SECONDS (poll the screen for an extended regex), capall (the whole
# scrollback, wrapped lines joined, into $tmp/screen), wait_line PATTERN
# SECONDS (poll the scrollback), fail MESSAGE (the message, the last screen, then
# the files named in $FAIL_SHOW, which a test may set), and removes everything on
# exit.
tmp=$(mktemp -d)
sock=ttlab-$TMUX_NAME-$$
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server >/dev/null 2>&1; sleep 0.2; rm -rf "$tmp" 2>/dev/null; }
trap cleanup EXIT INT TERM
FAIL_SHOW=
fail() {
  echo "FAIL: $*"; echo "--- last screen:"; cat "$tmp/screen" 2>/dev/null
  for f in $FAIL_SHOW; do cat "$f" 2>/dev/null; done
  exit 1
}
cap() { T capture-pane -p -t tt > "$tmp/screen" 2>/dev/null; }
wait_for() {
  i=0
  while [ $i -lt $(($2 * 10)) ]; do
    cap
    grep -Eq -- "$1" "$tmp/screen" && return 0
    sleep 0.1
    i=$((i + 1))
  done
  return 1
}
capall() { T capture-pane -p -J -S -1000 -t tt > "$tmp/screen" 2>/dev/null; }
wait_line() {
  i=0
  while [ $i -lt $(($2 * 10)) ]; do
    capall
    grep -Eq -- "$1" "$tmp/screen" && return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}
