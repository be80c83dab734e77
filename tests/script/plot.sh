#!/bin/sh
# plot.sh: plots through the real gnuplot (PNG, SVG and PDF files are valid
# images of some size, the dumb picture goes to stdout or to a memory stream)
# and without gnuplot on PATH (one clear message, status 1, no crash). No
# temporary file is left behind.
: "${top_builddir:=.}"
drv=$(cd "$top_builddir" && pwd)/tests/script/plot_driver
[ -x "$drv" ] || { echo "FAIL: $drv not built"; exit 1; }
NEED_TTLAB=0
. "${top_srcdir:-.}/tests/script/lib.sh"
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

# Window and live paths without a display: a fake gnuplot that says it has
# qt and records what it is sent (and its arguments).
mkdir "$tmp/fake"
cat > "$tmp/fake/gnuplot" <<EOF
#!/bin/sh
case "\$*" in
  *GPVAL_TERMINALS*) echo "cairolatex dumb pngcairo qt svg x11" >&2; exit 0 ;;
esac
echo "args: \$*" >> "$tmp/fake/log"
cat >> "$tmp/fake/log"
EOF
chmod +x "$tmp/fake/gnuplot"
PATH="$tmp/fake:$PATH" DISPLAY=:99 "$drv" lines -live 2> err.txt || fail "live with a fake gnuplot: $(cat err.txt)"
grep -q '^set terminal qt noraise$' "$tmp/fake/log" || fail "live: no 'set terminal qt noraise'"
# one colour per series (by model), a dash type (by seed), a marker each
[ "$(grep -c "^plot '-' using 1:2 with linespoints linecolor 1 dashtype 1 pointtype 4 title \"dssm\", '-' using 1:2 with linespoints linecolor 2 dashtype 1 pointtype 6 title \"senet_r2\"$" "$tmp/fake/log")" -eq 3 ] \
  || fail "live: not three plots of both series: $(cat "$tmp/fake/log")"
grep -q '^exit$' "$tmp/fake/log" || fail "live: gnuplot not told to exit"
rm -f "$tmp/fake/log"
PATH="$tmp/fake:$PATH" DISPLAY=:99 "$drv" bars -auto 2> err.txt || fail "auto with a display: $(cat err.txt)"
grep -q '^args: -persist$' "$tmp/fake/log" || fail "window plot without -persist"
grep -q '^set terminal qt$' "$tmp/fake/log" || fail "auto with a display did not choose qt"
grep -q '^set xtics ("hist" 1, "user_id" 2,' "$tmp/fake/log" || fail "bars: no labelled xtics"
rm -f "$tmp/fake/log"
env -u DISPLAY -u WAYLAND_DISPLAY PATH="$tmp/fake:$PATH" "$drv" lines -live 2> err.txt && fail "live without a display accepted"
grep -q 'no display' err.txt || fail "live without display message: $(cat err.txt)"
env -u DISPLAY -u WAYLAND_DISPLAY PATH="$tmp/fake:$PATH" "$drv" lines -window 2> err.txt && fail "window without a display accepted"
grep -q 'no display' err.txt || fail "window without display message: $(cat err.txt)"
rm -f err.txt
echo "ok: window and live paths (fake gnuplot)"

# A gnuplot that fails: an error naming it, and no empty file left.
mkdir "$tmp/failgp"
printf '#!/bin/sh\ncat > /dev/null\necho "line 3: fake failure" >&2\nexit 1\n' > "$tmp/failgp/gnuplot"
chmod +x "$tmp/failgp/gnuplot"
PATH="$tmp/failgp:$PATH" "$drv" lines f.png 2> err.txt && fail "a failing gnuplot was not reported"
grep -q 'gnuplot failed (exit status 1)' err.txt || fail "failing gnuplot message: $(cat err.txt)"
[ -e f.png ] && fail "a failed plot left f.png"
rm -f err.txt
echo "ok: failing gnuplot"

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

# the real gnuplot-nox has no window terminal: a clear message
if [ -z "$(gnuplot -e 'print GPVAL_TERMINALS' 2>&1 | tr ' ' '\n' | grep -x 'qt\|wxt\|x11')" ]; then
  DISPLAY=:99 "$drv" lines -window 2> err.txt && fail "window on a gnuplot without one accepted"
  grep -q 'no window terminal (qt, wxt or x11)' err.txt || fail "no-window message: $(cat err.txt)"
  DISPLAY=:99 "$drv" lines -auto > auto.txt 2> err.txt || fail "auto fell over: $(cat err.txt)"
  grep -q 'senet_r2' auto.txt || fail "auto without a window terminal did not draw dumb"
  rm -f err.txt auto.txt
  echo "ok: gnuplot without a window terminal"
fi

"$drv" lines -dumb > dumb.txt || fail "dumb"
grep -q 'valid Recall@20' dumb.txt || fail "dumb picture has no title"
grep -q 'senet_r2' dumb.txt || fail "dumb picture has no legend"
grep -q 'epoch' dumb.txt || fail "dumb picture has no x label"
"$drv" bars -capture > cap.txt || fail "dumb to a memory stream"
n=$(sed -n 's/^captured \([0-9]*\) bytes$/\1/p' cap.txt)
[ -n "$n" ] && [ "$n" -gt 500 ] || fail "captured dumb picture too small: '$n'"
grep -q 'SENet weights, user tower' cap.txt || fail "captured picture has no title"
# a bar chart in a terminal is horizontal: each label whole at the start of its
# own line, its bar of '#' after it (gnuplot's dumb boxes ran labels together)
for f in hist user_id zip3 gender occupation age; do
  grep -Eq "^  $f +#+ +[0-9]\.[0-9]{3}$" cap.txt || fail "dumb bars: no line for $f"
done
echo "ok: dumb, captured"

"$drv" bars w.gif 2> err.txt && fail "a .gif was accepted"
grep -q 'must end in .png, .svg or .pdf' err.txt || fail "bad extension message: $(cat err.txt)"
"$drv" bars /nonexistent-dir/w.png > out.txt 2> err.txt && fail "an unwritable path was accepted"
grep -q "cannot write '/nonexistent-dir/w.png'" err.txt || fail "unwritable path message: $(cat err.txt)"
[ -s out.txt ] && fail "output on stdout for an unwritable path"
rm -f out.txt
[ -s err.txt ] || fail "no message for an unwritable path"
rm -f err.txt

[ -z "$(ls -A "$TMPDIR")" ] || fail "files left in TMPDIR: $(ls -A "$TMPDIR")"
left=$(ls | sort | tr '\n' ' ')
[ "$left" = "cap.txt dumb.txt r.pdf r.png r.svg w.PNG w.svg " ] || fail "unexpected files: $left"
echo "ok: nothing left behind"
exit 0
