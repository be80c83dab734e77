# tests/script/lib.sh: the header the script tests share (as tests/tty/tmux_lib.sh is for
# the tmux ones). Source it first: . "${top_srcdir:-.}/tests/script/lib.sh"
# It fails when $TTLAB is not built (unless NEED_TTLAB=0 is set before), makes $tmp
# (removed on exit), and defines fail MESSAGE: "FAIL: MESSAGE", then the files named in
# $FAIL_SHOW (a test may set it, as it goes), and exit 1; and bad MESSAGE, for tests that
# go on after a failure: "FAIL: MESSAGE", $fail set to 1 (they end with exit $fail).
if [ "${NEED_TTLAB:-1}" = 1 ] && [ ! -x "${TTLAB:-}" ]; then
  echo "FAIL: TTLAB=${TTLAB:-} is not built"; exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
FAIL_SHOW=
fail() {
  echo "FAIL: $*"
  for f in $FAIL_SHOW; do cat "$f" 2>/dev/null; done
  exit 1
}
fail=0
bad() { echo "FAIL: $*"; fail=1; }
