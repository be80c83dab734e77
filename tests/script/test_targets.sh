#!/bin/sh
# test_targets: ttlab with paths that are not regular files (issue 16). As a
# save, export or plot target, a device node, a FIFO, a directory and a
# socket are refused naming what they are, and are the same node afterwards;
# a symbolic link is followed (its target written, the link kept). As a
# dataset, a script or a model file, a FIFO or a directory fails at once
# (within a second, never a hang). Output errors count: `> /dev/full` exits
# 1, a closed pipe ends quietly. Every node is made in a temporary folder:
# no real system device is ever written.
set -u
. "${top_srcdir:-.}/tests/script/lib.sh"
cd "$tmp" || exit 99
export TTLAB_NO_HISTORY=1
P='set dashboard off; set progress off; load synthetic tiny; split l2o; tower u = embed dim=4 | mlp 8; model m = twotower u u; train m epochs=1'
"$TTLAB" -c "$P; save m a.ttm" > /dev/null 2>&1 || { echo "engine not available"; exit 77; }

mkfifo fifo fifo.npy m.csv
mkdir dir dir.npy
if mknod dev.npy c 1 7 2>/dev/null; then have_dev=1; else have_dev=0; echo "mknod not permitted: device cases skipped"; fi
have_sock=0
if command -v python3 > /dev/null 2>&1 &&
   python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("sock.npy")' 2>/dev/null; then
  have_sock=1
fi
ln -s fifo.npy tofifo.npy
ln -s dir.npy todir.npy
type_of() { stat -c %F "$1" 2>/dev/null; }

# expect STATUS MESSAGE COMMANDS: ttlab -c must exit STATUS within 5 s with
# the whole line MESSAGE on stderr.
expect() {
  want=$1 msg=$2; shift 2
  timeout 5 "$TTLAB" -c "$*" > out 2> err < /dev/null
  st=$?
  [ $st = "$want" ] || bad "'$*': exit $st, want $want"
  grep -Fxq -- "$msg" err || { bad "'$*': want '$msg', got:"; cat err; }
}

# writes: every kind refused by name, the node (or the link) unchanged
for t in dev fifo dir sock tofifo todir; do
  case $t in
    dev) [ $have_dev = 1 ] || continue; what="a character device" ;;
    fifo|tofifo) what="a FIFO (named pipe)" ;;
    dir|todir) what="a directory" ;;
    sock) [ $have_sock = 1 ] || continue; what="a socket" ;;
  esac
  before=$(type_of $t.npy)
  expect 1 "<command line>:1: error: cannot write '$t.npy': it is $what, not a regular file" "$P; save m $t.npy"
  expect 1 "<command line>:1: error: cannot write '$t.npy': it is $what, not a regular file" "$P; export m items $t.npy"
  [ "$(type_of $t.npy)" = "$before" ] || bad "$t.npy is now $(type_of $t.npy), was $before"
done
expect 1 "<command line>:1: error: cannot write 'm.csv': it is a FIFO (named pipe), not a regular file" "$P; export m metrics m.csv"
[ -p m.csv ] || bad "m.csv is no longer a FIFO"
if command -v gnuplot > /dev/null 2>&1; then
  ln -s fifo plot.png
  expect 1 "<command line>:1: error: cannot write 'plot.png': it is a FIFO (named pipe), not a regular file" \
    "$P; plot loss m to plot.png"
  [ -p fifo ] || bad "the FIFO behind plot.png changed"
fi
ls | grep -q '\.tmp\.' && { bad "a temporary file was left:"; ls; }

# a link to a regular file: the target is replaced, the link stays
mkdir keep && cp a.ttm keep/real.ttm && ln -s keep/real.ttm link.ttm
chmod 600 keep/real.ttm
"$TTLAB" -c "$P; train m epochs=1 seed=9; save m link.ttm" > /dev/null 2> err || { bad "save through a link:"; cat err; }
[ -L link.ttm ] || bad "the link was replaced by a file"
cmp -s a.ttm keep/real.ttm && bad "the link's target was not written"
[ "$(stat -c %a keep/real.ttm)" = 600 ] || bad "mode of the target is $(stat -c %a keep/real.ttm), was 600"
"$TTLAB" -c "$P; open link.ttm as m2" > /dev/null 2> err || { bad "open through the link:"; cat err; }

# reads: a FIFO or a folder as dataset, script or model file fails at once
expect 1 "<command line>:1: error: cannot read 'fifo': it is a FIFO (named pipe), not a regular file" \
  "load csv fifo user=a item=b"
expect 1 "<command line>:1: error: cannot read 'dir': it is a directory, not a regular file" \
  "load csv dir user=a item=b"
expect 1 "<command line>:1: error: cannot read 'fifo': it is a FIFO (named pipe), not a regular file" \
  "source fifo"
expect 1 "<command line>:1: error: cannot read 'dir': it is a directory, not a regular file" \
  "source dir"
expect 1 "<command line>:1: error: cannot read 'fifo': it is a FIFO (named pipe), not a regular file" \
  "$P; open fifo as m2"
expect 1 "<command line>:1: error: cannot read 'dir': it is a directory, not a regular file" \
  "$P; open dir as m2"
timeout 5 "$TTLAB" fifo > out 2> err
st=$?
[ $st = 2 ] || bad "ttlab fifo: exit $st, want 2"
grep -Fxq "ttlab: cannot read 'fifo': it is a FIFO (named pipe), not a regular file" err || { bad "ttlab fifo:"; cat err; }
timeout 5 "$TTLAB" dir > out 2> err
st=$?
[ $st = 2 ] || bad "ttlab dir: exit $st, want 2"
timeout 5 "$TTLAB" < dir > out 2> err
st=$?
[ $st = 2 ] || bad "ttlab < dir: exit $st, want 2"
grep -Fxq "ttlab: cannot read standard input: it is a directory, not a regular file" err || { bad "ttlab < dir:"; cat err; }

# output errors: a full disk is an error, a closed pipe ends quietly
if [ -w /dev/full ]; then
  "$TTLAB" -c help > /dev/full 2> err
  st=$?
  [ $st = 1 ] || bad "help > /dev/full: exit $st, want 1"
  grep -Fxq "<command line>:1: error: cannot write results to standard output: No space left on device" err ||
    { bad "help > /dev/full:"; cat err; }
fi
# SIGPIPE ignored (as some parents leave it): EPIPE, no message, status 141
i=0; : > many.tt
while [ $i -lt 200 ]; do echo help >> many.tt; i=$((i + 1)); done
st=$( (trap '' PIPE; "$TTLAB" many.tt 2> err; echo $? > st) | head -c 1 > /dev/null; cat st)
[ "$st" = 141 ] || bad "closed pipe: exit $st, want 141"
[ -s err ] && { bad "closed pipe printed:"; cat err; }

exit $fail
