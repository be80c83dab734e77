#!/bin/sh
# test_history: the training record outlives the run. `history` prints one row
# per epoch (every seed of a seeds= run); it survives save and open, as do
# `plot loss|recall`; a model file written before histories were stored (the
# HIST section removed) still opens and `history` says, by name, why there is
# none; epochs are not capped at 256. Skipped without the engine.
set -u
. "${top_srcdir:-.}/tests/script/lib.sh"
cd "$tmp" || exit 99
P='set dashboard off; set progress off; load synthetic tiny; split l2o; tower u = embed dim=4 | mlp 8; model m = twotower u u'
"$TTLAB" -c "$P; train m epochs=3; save m a.ttm" > /dev/null 2>&1 || { echo "engine not available"; exit 77; }

# history after open: three epoch rows, the same numbers as before saving
"$TTLAB" -c "$P; train m epochs=3; set output csv; history m" > before 2> err || { bad "history m"; cat err; }
"$TTLAB" -c "$P; open a.ttm as m2; set output csv; history m2" > after 2> err || { bad "history m2"; cat err; }
[ "$(grep -c '^m2,[123],' after)" = 3 ] || { bad "history m2: want 3 epoch rows"; cat after; }
grep -q '^model,epoch,loss,valid_recall@20,valid_ndcg@20,seconds,best$' after ||
  { bad "history header"; cat after; }
# loss, recall and NDCG are saved exactly (seconds differ between runs)
grep '^m,' before | cut -d, -f2-5 > b5; grep '^m2,' after | cut -d, -f2-5 > a5
cmp -s b5 a5 || { bad "history after open differs from the trained model's"; diff b5 a5; }
[ "$(grep -c ',\*$' after)" = 1 ] || bad "one best epoch marker"

# plots after open
if command -v gnuplot >/dev/null 2>&1; then
  "$TTLAB" -c "$P; open a.ttm as m2; plot loss m2 to l.png; plot recall m2 to r.png" > out 2> err ||
    { bad "plot after open"; cat err; }
  [ -s l.png ] && [ -s r.png ] || bad "plot after open wrote no PNG"
fi

# seeds: one block of rows per seed, with a seed column
"$TTLAB" -c "$P; train m epochs=2 seeds=1,2,3; set output csv; history m" > seeds 2> err || { bad "history after seeds"; cat err; }
[ "$(grep -c '^m,[123],[12],' seeds)" = 6 ] || { bad "history after seeds=1,2,3: want 6 rows"; cat seeds; }

# a file from before HIST: opens, and history says why it has nothing
if command -v python3 >/dev/null 2>&1; then
  python3 - <<'PY' || bad "could not make old.ttm"
import struct, zlib
b = open('a.ttm', 'rb').read()
out, p, end = bytearray(b[:24]), 24, len(b) - 4
while p < end:
    tag, n = b[p:p+4], struct.unpack('<Q', b[p+4:p+12])[0]
    if tag != b'HIST':
        out += b[p:p+12+n]
    p += 12 + n
out[16:24] = struct.pack('<Q', len(out) - 24)
out += struct.pack('<I', zlib.crc32(bytes(out)) & 0xffffffff)
open('old.ttm', 'wb').write(out)
PY
  "$TTLAB" -c "$P; open old.ttm as m3; eval m3" > out 2> err || { bad "an old model file must open"; cat err; }
  "$TTLAB" -c "$P; open old.ttm as m3; history m3" > out 2> err && bad "history of an old file must fail"
  grep -Fxq "<command line>:1: error: model 'm3' has no training history: 'old.ttm' was saved before model files kept it (train it again and save to keep one)" err ||
    { bad "history of an old file: message"; cat err; }
  "$TTLAB" -c "$P; open old.ttm as m3; plot loss m3 to x.png" > out 2> err && bad "plot loss of an old file must fail"
  grep -q "'old.ttm' was saved before model files kept it" err || { bad "plot loss of an old file: message"; cat err; }
fi

# a model never trained
"$TTLAB" -c "$P; history m" > out 2> err && bad "history of an untrained model must fail"
grep -Fxq "<command line>:1: error: model 'm' has no training history: it has not been trained yet (train m)" err ||
  { bad "history of an untrained model: message"; cat err; }

# a fitted baseline: no loss column (it has no training loss, never a nan),
# no best-epoch mark, in every output mode; plot loss refuses it by name
"$TTLAB" -c "$P; model e = ease lambda=10; train e; set output csv; history e; set output json; history e; set output table; history e" > fit 2> err ||
  { bad "history of a fitted model"; cat err; }
grep -Fxq 'model,epoch,valid_recall@20,valid_ndcg@20,seconds' fit || { bad "history e: csv header"; cat fit; }
grep -q '^{"event":"history","model":"e","epoch":1,"valid_recall@20":[0-9.]*,"valid_ndcg@20":[0-9.]*,"seconds":[0-9.e-]*}$' fit ||
  { bad "history e: json line"; cat fit; }
grep -q '^model  *epoch  *valid_recall@20  *valid_ndcg@20  *seconds$' fit || { bad "history e: table header"; cat fit; }
grep -Fxq 'a fitted model: no training loss; seconds: fitting time, evaluation excluded' fit || { bad "history e: note"; cat fit; }
grep -qi 'nan\|loss,' fit && { bad "history e shows a loss"; cat fit; }
"$TTLAB" -c "$P; model e = ease; train e; plot loss e" > out 2> err && bad "plot loss of a fitted model must fail"
grep -Fxq "<command line>:1: error: model 'e' (ease) has no training loss: it is fitted, not trained by steps (plot recall shows its valid Recall@20)" err ||
  { bad "plot loss of a fitted model: message"; cat err; }

# more than 256 epochs (the old fixed arrays)
"$TTLAB" -c "$P; train m epochs=300 batch=4096 valid=off; set output csv; history m" > long 2> err ||
  { bad "epochs=300"; cat err; }
[ "$(grep -c '^m,' long)" = 300 ] || bad "epochs=300: want 300 rows, got $(grep -c '^m,' long)"
exit $fail
