#!/bin/sh
# tests/bad/run.sh: the bad-input corpus. Every tests/bad/cases/*.bad file is
# one bad input with the message it must give; this runs each in a fresh
# folder and checks the message, the exit status, and that nothing crashed,
# hung or tripped a sanitizer. Usage: run.sh [CASE.bad...]
#
# Case format (a header, then the input files):
#   # one line saying what is wrong with the input
#   run: load movielens .          (tests/bad/bad_load: a loader alone)
#   run: ttlab script.tt           (the ttlab binary; also ttlab-stdin FILE)
#   status: 1                      (expected exit status)
#   expect: TEXT                   (a whole line the output must contain; repeatable)
#   expect-re: REGEX               (a line matching this extended regex, anchored)
#   needs: faiss                   (skipped in a build without Faiss)
#   --- NAME                       (a file: the lines up to the next '--- ')
#   --- NAME %b                    (same, through printf %b: \t, \n, \0NNN octal;
#                                   without a final newline unless written)
#   --- NAME %fifo                 (a FIFO made with mkfifo; also %dir: a folder;
#                                   no lines follow)
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${TTLAB:=$top_builddir/src/ttlab}"
BAD_LOAD=$top_builddir/tests/bad/bad_load
export TTLAB_NO_HISTORY=1 TERM=dumb
unset DISPLAY

if [ $# -eq 0 ]; then
  set -- "$top_srcdir"/tests/bad/cases/*.bad
fi
to=""
command -v timeout >/dev/null 2>&1 && to="timeout 60"

work=$(mktemp -d "${TMPDIR:-/tmp}/ttbad.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT INT TERM

pass=0 fail=0 skip=0
no_faiss=""
"$TTLAB" -c 'index x = y' 2>&1 | grep -q 'without Faiss' && no_faiss=1
for case in "$@"; do
  name=$(basename "$case" .bad)
  dir=$work/$name
  mkdir -p "$dir"
  run="" want_status="" about="" needs=""
  : > "$dir/.expect"
  file="" mode=""
  # Split the case: header keys, then files.
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      "--- "*)
        set -- ${line#--- }
        file=$1 mode=${2:-}
        mkdir -p "$(dirname "$dir/$file")"
        case $mode in
          %fifo) mkfifo "$dir/$file" ;;
          %dir) mkdir -p "$dir/$file" ;;
          *) : > "$dir/$file" ;;
        esac
        continue ;;
    esac
    if [ -n "$file" ]; then
      if [ "$mode" = "%b" ]; then printf '%b' "$line" >> "$dir/$file"
      else printf '%s\n' "$line" >> "$dir/$file"; fi
      continue
    fi
    case $line in
      "# "*) [ -z "$about" ] && about=${line#\# } ;;
      "run: "*) run=${line#run: } ;;
      "status: "*) want_status=${line#status: } ;;
      "needs: "*) needs=${line#needs: } ;;
      "expect: "*) printf 'F %s\n' "${line#expect: }" >> "$dir/.expect" ;;
      "expect-re: "*) printf 'E %s\n' "${line#expect-re: }" >> "$dir/.expect" ;;
      "") ;;
      *) echo "FAIL $name: bad case line: $line"; fail=$((fail + 1)); continue 2 ;;
    esac
  done < "$case"
  if [ -z "$run" ] || [ -z "$want_status" ] || [ ! -s "$dir/.expect" ]; then
    echo "FAIL $name: a case needs run:, status: and expect:"
    fail=$((fail + 1)); continue
  fi
  if [ "$needs" = faiss ] && [ -n "$no_faiss" ]; then
    echo "SKIP $name: built without Faiss"; skip=$((skip + 1)); continue
  fi
  set -- $run
  tool=$1; shift
  case $tool in
    load) [ -x "$BAD_LOAD" ] || { echo "SKIP $name: no $BAD_LOAD"; skip=$((skip + 1)); continue; }
          (cd "$dir" && $to "$BAD_LOAD" "$@" > .out 2>&1 < /dev/null) ;;
    ttlab) [ -x "$TTLAB" ] || { echo "SKIP $name: no ttlab"; skip=$((skip + 1)); continue; }
           (cd "$dir" && $to "$TTLAB" "$@" > .out 2>&1 < /dev/null) ;;
    ttlab-stdin) (cd "$dir" && $to "$TTLAB" < "$1" > .out 2>&1) ;;
    *) echo "FAIL $name: unknown runner '$tool'"; fail=$((fail + 1)); continue ;;
  esac
  status=$?
  why=""
  if [ $status -ge 124 ]; then
    why="crashed or hung (exit status $status)"
  elif grep -q 'Sanitizer\|runtime error:' "$dir/.out"; then
    why="sanitizer report"
  elif [ "$status" != "$want_status" ]; then
    why="exit status $status, expected $want_status"
  else
    while IFS= read -r want; do
      how=${want%% *} want=${want#? }
      LC_ALL=C grep -${how}xq -- "$want" "$dir/.out" || { why="missing the line: $want"; break; }
    done < "$dir/.expect"
  fi
  if [ -n "$why" ]; then
    echo "FAIL $name ($about): $why"
    sed 's/^/    | /' "$dir/.out" | head -n 20
    fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
done
echo "bad inputs: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] || exit 1
[ $pass -gt 0 ] || exit 77
exit 0
