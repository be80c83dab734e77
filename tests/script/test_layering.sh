#!/bin/sh
# src/ keeps its includes one way (tests/script/check_layering.sh), and the check
# can fail: a copy of src/ with a lower area including a higher header is
# refused with that file:line.
top=${top_srcdir:-.}
fail=0
sh "$top/tests/script/check_layering.sh" "$top/src" || { echo "FAIL: src/ has includes that climb"; fail=1; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp -R "$top/src" "$tmp/src"
chmod -R u+w "$tmp/src"
printf '#include "tt_session.h"\n' >> "$tmp/src/base/tt_util.c"
out=$(sh "$top/tests/script/check_layering.sh" "$tmp/src" 2>&1) && { echo "FAIL: a climbing include passed"; fail=1; }
case $out in
  *"base/tt_util.c"*"includes tt_session.h of the higher area lang"*) ;;
  *) echo "FAIL: unexpected report: $out"; fail=1 ;;
esac
[ $fail = 0 ] && echo "layering: ok"
exit $fail
