#!/bin/sh
# The areas of src/ depend one way: a file may include headers of its own
# area and of lower areas (src/AREAS lists them, lowest first), never of a
# higher one. Reads every #include "..." line under src/.
#   tests/script/check_layering.sh [SRCDIR]     exit 1 and one line per wrong include
src=${1:-${top_srcdir:-.}/src}
[ -f "$src/AREAS" ] || { echo "check_layering: no $src/AREAS" >&2; exit 2; }
awk -v src="$src" '
  FNR == NR { if ($0 !~ /^#/ && NF) rank[$1] = ++n; next }
  # second pass: the list of files, "area/file" per line
  { split($0, p, "/"); area = p[1]; file = p[2]
    if (!(area in rank)) { printf "%s/%s: area %s is not in src/AREAS\n", src, $0, area; bad = 1; next }
    home[file] = area; files[++m] = $0 }
  END {
    for (i = 1; i <= m; i++) {
      split(files[i], p, "/"); a = p[1]; path = src "/" files[i]; ln = 0
      while ((getline line < path) > 0) {
        ln++
        if (line !~ /^[ \t]*#[ \t]*include[ \t]*"/) continue
        h = line; sub(/^[^"]*"/, "", h); sub(/".*/, "", h); sub(/.*\//, "", h)
        if (!(h in home)) continue          # config.h and system headers
        if (rank[home[h]] > rank[a]) {
          printf "%s:%d: %s (area %s) includes %s of the higher area %s\n", path, ln, files[i], a, h, home[h]
          bad = 1
        }
      }
      close(path)
    }
    exit bad
  }' "$src/AREAS" - <<LIST
$(cd "$src" && for d in */; do for f in "$d"*.[ch]; do [ -f "$f" ] && echo "$f"; done; done)
LIST
