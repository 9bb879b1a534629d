#!/usr/bin/env bash
# Re-fetches the front-end code internal/web keeps from npm: each package
# at its pinned version, from the npm registry (npm pack), its tarball
# checked against the sha256 recorded here, then its one built file and
# its licence copied in. Nothing else of a package is kept.
#   static/vendor/jsqr/   jsQR, the camera's QR reader (embedded, served)
#   testdata/axe-core/    axe-core, the browser tests' accessibility check
#                         (test only, never served)
# Run from anywhere: bash internal/web/fetch-vendor.sh
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch PKG VERSION TARBALL_SHA256 DEST FILE_IN_PACKAGE LICENCE_FILES...
fetch() {
  local pkg=$1 ver=$2 sum=$3 dest=$4 file=$5
  shift 5
  (cd "$tmp" && npm pack --silent "$pkg@$ver" >/dev/null)
  local tgz="$tmp/$pkg-$ver.tgz"
  echo "$sum  $tgz" | sha256sum -c --quiet -
  mkdir -p "$tmp/$pkg" "$dest"
  tar xzf "$tgz" -C "$tmp/$pkg"
  cp "$tmp/$pkg/package/$file" "$dest/"
  for l in "$@"; do cp "$tmp/$pkg/package/$l" "$dest/"; done
  echo "$pkg@$ver -> $dest/$(basename "$file") sha256 $(sha256sum "$dest/$(basename "$file")" | cut -d' ' -f1)"
}

fetch jsqr 1.4.0 b5299b37917a1fe7a8cab9dd5cc6b8accf82663add80abe5bf7761a921cc6602 \
  static/vendor/jsqr dist/jsQR.js LICENSE
fetch axe-core 4.14.1 e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745 \
  testdata/axe-core axe.min.js LICENSE LICENSE-3RD-PARTY.txt
