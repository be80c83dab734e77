#!/bin/sh
# test_limits: allocations that cannot succeed are reported, not crashes.
# Under an address-space limit (ulimit -v, 400 MB) a dataset that passes the
# size estimate but does not fit fails with "out of memory: cannot allocate",
# and a model past the allocation limit is refused before training; the
# session goes on (with --keep-going, the next command runs). Skipped under
# the sanitizers (ASan reserves terabytes of address space).
set -u
[ -n "${TTLAB_SANITIZED:-}" ] && { echo "SKIP: ulimit -v and ASan do not mix"; exit 77; }
. "${top_srcdir:-.}/tests/script/lib.sh"
cd "$tmp" || exit 99
"$TTLAB" -c 'load synthetic tiny' > /dev/null 2>&1 || { echo "engine not available"; exit 77; }
(ulimit -v 400000; exec "$TTLAB" --keep-going -c 'load synthetic users=5000000 items=1000 per_user=40; echo still-here') > out 2> err
st=$?
[ $st = 1 ] || bad "exit $st, want 1"
grep -Eq '^<command line>:1: error: out of memory: cannot allocate [0-9.]+ [KMGT]iB for ' err || { bad "no out-of-memory message:"; cat err; }
grep -q still-here out || bad "the session did not go on after a failed allocation"
(ulimit -v 400000; exec "$TTLAB" --keep-going -c 'load synthetic tiny; split l2o; tower u = embed dim=4096 | mlp 65536 65536; model m = twotower u u; train m epochs=1; echo still-here') > out 2> err
st=$?
[ $st = 1 ] || bad "huge model: exit $st, want 1"
grep -Eq '^<command line>:1: error: model m: refusing to allocate [0-9.]+ [KMGT]iB for .*: over the limit of' err || { bad "huge model not refused:"; cat err; }
grep -q still-here out || bad "the session did not go on after a refused model"
exit $fail
