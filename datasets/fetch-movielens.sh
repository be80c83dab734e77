#!/bin/sh
# fetch-movielens.sh: download MovieLens-100K and/or MovieLens-1M from GroupLens
# and verify them. The data sets' licence forbids redistribution, so ttlab never
# ships them: this script puts them next to the project, by default in
# ${TTLAB_SHARED:-<top>/../shared}/data, where the tests and benchmarks look.
#
# usage: datasets/fetch-movielens.sh [100k|1m|all] [DEST]
#
# Verification (see datasets/README.md):
#   - ml-100k: u.data must have the sha256 below (the file the protocol's
#     reference figures were measured on); the zip is checked against the .md5
#     GroupLens publishes next to it when that can be downloaded.
#   - ml-1m:   the zip is checked against GroupLens' .md5; the sha256 of
#     ratings.dat is printed so that a run can record what it used.
# Exit status: 0 when everything asked for is present and verified, 1 otherwise.
set -eu

BASE=https://files.grouplens.org/datasets/movielens
UDATA_SHA256=06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490

what=${1:-100k}
top=$(cd "$(dirname "$0")/.." && pwd)
dest=${2:-${TTLAB_SHARED:-$top/../shared}/data}

die() { echo "fetch-movielens: $*" >&2; exit 1; }

case $what in
100k | 1m | all) ;;
-h | --help) sed -n '2,17p' "$0"; exit 0 ;;
*) die "expected 100k, 1m or all, found '$what'" ;;
esac

fetch() { # url file
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --connect-timeout 15 -o "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -T 15 -O "$2" "$1"
    else
        die "neither curl nor wget is installed (Debian: apt-get install curl)"
    fi
}

unpack() { # zip dir
    if command -v unzip >/dev/null 2>&1; then
        unzip -q -o "$1" -d "$2"
    elif command -v python3 >/dev/null 2>&1; then
        python3 -m zipfile -e "$1" "$2"
    else
        die "cannot unpack $1: install unzip (Debian: apt-get install unzip)"
    fi
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# Check a zip against GroupLens' published md5 (integrity of the transfer).
check_md5() { # zip url
    if fetch "$2.md5" "$1.md5" 2>/dev/null; then
        want=$(tr -s ' \t' '\n' <"$1.md5" | grep -E '^[0-9a-f]{32}$' | head -n 1 || true)
        have=$(md5sum "$1" | cut -d' ' -f1)
        rm -f "$1.md5"
        [ -n "$want" ] || { echo "  (could not read the published md5; skipped)"; return 0; }
        [ "$want" = "$have" ] || die "$1: md5 $have differs from the published $want"
        echo "  zip md5 matches GroupLens' published value ($have)"
    else
        echo "  (no published md5 reachable; the zip itself is not checked)"
    fi
}

get() { # name (ml-100k or ml-1m) file-to-verify
    name=$1
    if [ -f "$dest/$name/$2" ]; then
        echo "$name: already in $dest/$name"
    else
        mkdir -p "$dest"
        tmp=$(mktemp -d "$dest/.fetch.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT INT TERM
        echo "$name: downloading $BASE/$name.zip"
        fetch "$BASE/$name.zip" "$tmp/$name.zip" ||
            die "$name: download failed (no network?); nothing was changed in $dest"
        check_md5 "$tmp/$name.zip" "$BASE/$name.zip"
        unpack "$tmp/$name.zip" "$tmp"
        [ -f "$tmp/$name/$2" ] || die "$name: the zip holds no $name/$2"
        rm -rf "${dest:?}/$name"
        mv "$tmp/$name" "$dest/$name"
        rm -rf "$tmp"
        trap - EXIT INT TERM
    fi
}

status=0
if [ "$what" = 100k ] || [ "$what" = all ]; then
    get ml-100k u.data
    have=$(sha256 "$dest/ml-100k/u.data")
    if [ "$have" = "$UDATA_SHA256" ]; then
        echo "ml-100k: u.data sha256 verified"
    else
        echo "ml-100k: u.data sha256 $have, expected $UDATA_SHA256" >&2
        status=1
    fi
fi
if [ "$what" = 1m ] || [ "$what" = all ]; then
    get ml-1m ratings.dat
    echo "ml-1m: ratings.dat sha256 $(sha256 "$dest/ml-1m/ratings.dat") (recorded, no reference value)"
fi
exit $status
