#!/bin/sh
# The playground's assets from npm (GraphiQL and React, pinned by package-lock.json), copied into
# DEST, where the router serves them without a CDN. `make playground` and the Dockerfile's
# `playground` stage both run this, so the file list lives here only.
# Usage: sh build.sh WORK_DIR DEST_DIR   (npm installs into WORK_DIR/node_modules)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$1
dest=$2
mkdir -p "$work" "$dest"
cp "$here/package.json" "$here/package-lock.json" "$work/"
npm ci --prefix "$work" --no-audit --no-fund --loglevel=error
modules="$work/node_modules"
cp "$modules/graphiql/graphiql.min.js" "$modules/graphiql/graphiql.min.css" \
   "$modules/react/umd/react.production.min.js" \
   "$modules/react-dom/umd/react-dom.production.min.js" "$dest/"
cp "$modules/graphiql/LICENSE" "$dest/graphiql.LICENSE"
