#!/bin/sh
# plot.sh: plots through the real gnuplot (PNG, SVG and PDF files are valid
# images of some size, the dumb picture goes to stdout or to a memory stream)
# and without gnuplot on PATH (one clear message, status 1, no crash). No
# temporary file is left behind.
: "${top_builddir:=.}"
drv=$(cd "$top_builddir" && pwd)/tests/plot_driver
[ -x "$drv" ] || { echo "FAIL: $drv not built"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }
mkdir "$tmp/out" "$tmp/tmpdir" "$tmp/nogp"
cd "$tmp/out" || exit 1

# Without gnuplot on PATH (an empty PATH dir: popen uses /bin/sh directly).
PATH="$tmp/nogp" "$drv" bars w.png > stdout.txt 2> stderr.txt
rc=$?
[ $rc -eq 1 ] || fail "without gnuplot: exit status $rc, want 1"
grep -q "gnuplot not found on PATH: install it with 'apt-get install gnuplot-nox'" stderr.txt \
  || fail "without gnuplot: message is: $(cat stderr.txt)"
[ "$(wc -l < stderr.txt)" -eq 1 ] || fail "without gnuplot: more than one line: $(cat stderr.txt)"
[ -e w.png ] && fail "without gnuplot: a file was created"
rm -f stdout.txt stderr.txt
echo "ok: without gnuplot"

if ! command -v gnuplot >/dev/null 2>&1; then
  echo "SKIP: gnuplot is not installed (apt-get install gnuplot-nox)"
  exit 77
fi
export TMPDIR="$tmp/tmpdir"

size() { wc -c < "$1" | tr -d ' '; }
magic() { head -c "$2" "$1" | od -An -tx1 | tr -d ' \n'; }

"$drv" lines r.png || fail "lines -> png"
[ "$(magic r.png 8)" = 89504e470d0a1a0a ] || fail "r.png is not a PNG: $(magic r.png 8)"
[ "$(size r.png)" -gt 5000 ] || fail "r.png is only $(size r.png) bytes"

"$drv" bars w.PNG || fail "bars -> png (upper-case extension)"
[ "$(magic w.PNG 8)" = 89504e470d0a1a0a ] || fail "w.PNG is not a PNG"

"$drv" bars w.svg || fail "bars -> svg"
grep -q '^<svg' w.svg || fail "w.svg has no <svg root element"
grep -q '</svg>' w.svg || fail "w.svg is not closed"
[ "$(size w.svg)" -gt 5000 ] || fail "w.svg is only $(size w.svg) bytes"
for f in hist user_id zip3 gender occupation age 'ctx "noise"' 'SENet weights, user tower' 'mean excitation weight'; do
  grep -q "$f" w.svg || fail "w.svg lacks the text '$f'"
done
"$drv" lines r.svg || fail "lines -> svg"
for f in dssm senet_r2 'valid Recall@20' epoch; do
  grep -q ">$f<\|$f" r.svg || fail "r.svg lacks '$f'"
done

"$drv" lines r.pdf || fail "lines -> pdf"
[ "$(head -c 5 r.pdf)" = "%PDF-" ] || fail "r.pdf is not a PDF"
[ "$(size r.pdf)" -gt 2000 ] || fail "r.pdf is only $(size r.pdf) bytes"
echo "ok: png, svg, pdf"

"$drv" lines -dumb > dumb.txt || fail "dumb"
grep -q 'valid Recall@20' dumb.txt || fail "dumb picture has no title"
grep -q 'senet_r2' dumb.txt || fail "dumb picture has no legend"
grep -q 'epoch' dumb.txt || fail "dumb picture has no x label"
"$drv" bars -capture > cap.txt || fail "dumb to a memory stream"
n=$(sed -n 's/^captured \([0-9]*\) bytes$/\1/p' cap.txt)
[ -n "$n" ] && [ "$n" -gt 500 ] || fail "captured dumb picture too small: '$n'"
grep -q 'SENet weights, user tower' cap.txt || fail "captured picture has no title"
echo "ok: dumb, captured"

"$drv" bars w.gif 2> err.txt && fail "a .gif was accepted"
grep -q 'must end in .png, .svg or .pdf' err.txt || fail "bad extension message: $(cat err.txt)"
"$drv" bars /nonexistent-dir/w.png > out.txt 2> err.txt && fail "an unwritable path was accepted"
grep -q "cannot write /nonexistent-dir/w.png" err.txt || fail "unwritable path message: $(cat err.txt)"
[ -s out.txt ] && fail "output on stdout for an unwritable path"
rm -f out.txt
[ -s err.txt ] || fail "no message for an unwritable path"
rm -f err.txt

[ -z "$(ls -A "$TMPDIR")" ] || fail "files left in TMPDIR: $(ls -A "$TMPDIR")"
left=$(ls | sort | tr '\n' ' ')
[ "$left" = "cap.txt dumb.txt r.pdf r.png r.svg w.PNG w.svg " ] || fail "unexpected files: $left"
echo "ok: nothing left behind"
exit 0
