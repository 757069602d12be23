#!/usr/bin/env bash
# Checks that each third-party library is imported by its one package.
# bench/floor is the one exception: it is the benchmark's baseline, a
# go-fuse file system that does nothing but forward requests, so it has to
# be built on go-fuse itself rather than on shallot's door.
set -euo pipefail
mod=$(go list -m)
declare -A owner=(
  [github.com/hanwen/go-fuse/v2]="$mod/fuse $mod/bench/floor"
  [github.com/klauspost/reedsolomon]="$mod/objstore/blob"
  [github.com/dgraph-io/badger/v4]="$mod/meta"
  [github.com/julienschmidt/httprouter]="$mod/s3srv"
)
fail=0
while read -r pkg imports; do
  for lib in "${!owner[@]}"; do
    if [[ " $imports " == *" $lib"* && " ${owner[$lib]} " != *" $pkg "* ]]; then
      echo "depcheck: $pkg imports $lib; only ${owner[$lib]} may" >&2
      fail=1
    fi
  done
done < <(go list -f '{{.ImportPath}} {{join .Imports " "}}' ./...)
exit $fail
