#!/bin/sh
# test_files: model files. `open` refuses a truncated file, a flipped bit, a
# version mismatch, a non-model file, trailing garbage and a file of another
# dataset, each with its own message; a failed open keeps the model already
# named so; a save that cannot finish (file size limit: an error, or killed
# by SIGXFSZ mid-write) leaves the old file byte for byte, and the error path
# leaves no temporary file. Skipped without the engine.
set -u
. "${top_srcdir:-.}/tests/script/lib.sh"
cd "$tmp" || exit 99
P='set dashboard off; set progress off; load synthetic tiny; split l2o; tower u = embed dim=4 | mlp 8; model m = twotower u u'
"$TTLAB" -c "$P; train m epochs=1; save m a.ttm" > /dev/null 2>&1 || { echo "engine not available"; exit 77; }

# expect_open FILE MESSAGE: open FILE must fail (exit 1) with exactly MESSAGE.
expect_open() {
  "$TTLAB" -c "$P; open $1 as m2" > out 2> err
  st=$?
  [ $st = 1 ] || bad "open $1: exit $st, want 1"
  grep -Fxq -- "<command line>:1: error: $2" err || { bad "open $1: want '$2', got:"; cat err; }
}
size=$(wc -c < a.ttm)
head -c 1000 a.ttm > trunc.ttm
expect_open trunc.ttm "'trunc.ttm' is truncated: 1000 bytes, the header says $size"
head -c 20 a.ttm > short.ttm
expect_open short.ttm "'short.ttm' is truncated: 20 bytes, shorter than the header"
cp a.ttm flip.ttm
# flip one bit of a parameter in the middle of the file
off=$((size / 2))
b=$(od -An -tu1 -j $off -N1 a.ttm | tr -d ' ')
printf "\\$(printf '%03o' $((b ^ 4)))" | dd of=flip.ttm bs=1 seek=$off conv=notrunc 2>/dev/null
cmp -s a.ttm flip.ttm && bad "the bit flip did not change the file"
expect_open flip.ttm "'flip.ttm' is corrupted: checksum mismatch (the file was changed or damaged after saving)"
cp a.ttm ver.ttm
printf '\002' | dd of=ver.ttm bs=1 seek=8 conv=notrunc 2>/dev/null
expect_open ver.ttm "'ver.ttm' is a version 2 model file; this ttlab reads version 1"
echo "user,item" > text.ttm
expect_open text.ttm "'text.ttm' is not a ttlab model file (no TTLABMOD magic)"
: > empty.ttm
expect_open empty.ttm "'empty.ttm' is not a ttlab model file (no TTLABMOD magic)"
{ cat a.ttm; printf 'xyz'; } > tail.ttm
expect_open tail.ttm "'tail.ttm' is corrupted: 3 bytes of garbage after the end"
expect_open missing.ttm "cannot open 'missing.ttm': No such file or directory"
mkdir dir.ttm
expect_open dir.ttm "cannot read 'dir.ttm': it is a directory, not a regular file"
# a NaN parameter behind a valid checksum (made elsewhere, not by save)
if command -v python3 >/dev/null 2>&1; then
  python3 - <<'PY' || bad "could not make nan.ttm"
import struct, zlib
b = bytearray(open('a.ttm', 'rb').read())
i = b.find(b'PARM')
if i < 0:
    i = b.find(b'MRAP')
off = i + 4 + 8 + 8          # tag, section length, parameter count
b[off:off + 4] = struct.pack('<f', float('nan'))
b[-4:] = struct.pack('<I', zlib.crc32(bytes(b[:-4])) & 0xffffffff)
open('nan.ttm', 'wb').write(bytes(b))
PY
  expect_open nan.ttm "'nan.ttm' is corrupted: parameter 0 is not a finite number"
fi

# Another dataset: a schema mismatch, named as such.
"$TTLAB" -c "load synthetic small; split l2o; open a.ttm" > out 2> err
grep -q "error: cannot open 'a.ttm': schema mismatch: " err || { bad "schema mismatch:"; cat err; }

# A failed open over an existing name keeps that model (nothing lost).
"$TTLAB" --keep-going -c "$P; train m epochs=1; open trunc.ttm as m; eval m" > out 2> err
[ $? = 1 ] || bad "keep-going run with a failed open should exit 1"
grep -q "^m  *test " out || { bad "the model m was lost after a failed open:"; cat out err; }

# A save that fails (file size limit, SIGXFSZ ignored): an error, the old
# file intact, no temporary file left.
cp a.ttm old.ttm
sh -c "trap '' XFSZ; ulimit -f 16; exec \"\$TTLAB\" -c '$P; train m epochs=2 seed=5; save m a.ttm'" > out 2> err
st=$?
[ $st = 1 ] || bad "failed save: exit $st, want 1"
grep -Fxq "<command line>:1: error: cannot write 'a.ttm': File too large" err || { bad "failed save message:"; cat err; }
cmp -s a.ttm old.ttm || bad "a failed save changed the old file"
ls | grep -q 'a\.ttm\.' && { bad "a failed save left a temporary file:"; ls; }

# Killed in the middle of the write (SIGXFSZ): the old file is intact.
sh -c "ulimit -f 16; exec \"\$TTLAB\" -c '$P; train m epochs=2 seed=5; save m a.ttm'" > out 2> err
st=$?
[ $st -gt 128 ] || bad "save under SIGXFSZ: exit $st, expected death by signal"
cmp -s a.ttm old.ttm || bad "a save killed mid-write changed the old file"
"$TTLAB" -c "$P; open a.ttm as m2" > out 2> err || { bad "the old file no longer opens:"; cat err; }
rm -f a.ttm.*   # the killed writer's temporary file (nothing can remove it)

# A saved file has the mode a plain write would give (umask 022: 644).
(umask 022; "$TTLAB" -c "$P; train m epochs=1; save m mode.ttm" > /dev/null 2>&1)
[ "$(stat -c %a mode.ttm 2>/dev/null)" = 644 ] || bad "saved with mode $(stat -c %a mode.ttm 2>/dev/null), want 644 under umask 022"

# Saving into a missing folder: an error, nothing else.
"$TTLAB" -c "$P; train m epochs=1; save m nodir/x.ttm" > out 2> err
grep -Fxq "<command line>:1: error: cannot write 'nodir/x.ttm': No such file or directory" err || { bad "save into a missing folder:"; cat err; }

# A model's kind is stored as its code, not its place in the kind table. A
# file written before the codes (ials, the table's last row, on the
# hand-written MovieLens fixture) opens as ials with the figures it had; a
# file of every kind saved now opens as that kind with the same figures.
fx=${top_srcdir:-.}/datasets/fixtures
T="set dashboard off; set progress off; load movielens $fx/ml100k-tiny; split l2o"
"$TTLAB" -c "$T; open $fx/models/ials-before-codes.ttm as a; set output csv; list; eval a split=test k=1,5" > out 2> err ||
  { bad "the ials file from before kind codes does not open:"; cat err; }
grep -q '^model,a,"ials, opened from ' out || { bad "the old ials file: not an ials model"; cat out; }
grep -Fxq 'a,test,ml-100k-l2o,0.25,1,0.25,0.6904648768,0.25,1,0.5833333333,4' out ||
  { bad "the old ials file: other figures than when it was saved"; cat out; }
for k in popularity ease itemknn ials twotower; do
  def="$k"
  [ $k = twotower ] && def="twotower u u"
  "$TTLAB" -c "$T; tower u = embed dim=4 | mlp 8; model k = $def; train k epochs=1; save k $k.ttm; set output csv; eval k split=test k=5" > before 2> err ||
    { bad "save a $k model:"; cat err; continue; }
  "$TTLAB" -c "$T; open $k.ttm as k; set output csv; list; eval k split=test k=5" > after 2> err ||
    { bad "open a $k model:"; cat err; continue; }
  grep -Eq "^model,k,\"?$k[ ,]" after || { bad "a saved $k model opens as another kind"; cat after; }
  [ "$(grep '^k,test' before)" = "$(grep '^k,test' after)" ] || { bad "a $k model's figures change through save and open"; cat before after; }
done
exit $fail
