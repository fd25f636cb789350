#!/bin/sh
# Prints libspread's version, read from Cargo.toml's [package] section: the one
# place it is written. install.sh and dist.sh use it; setup.py reads the same line.
set -eu
cargo_toml="$(cd "$(dirname "$0")/.." && pwd)/Cargo.toml"
version=$(awk -F'"' '/^\[/ { pkg = ($0 == "[package]") } pkg && /^version *=/ { print $2; exit }' "$cargo_toml")
case $version in
    [0-9]*.[0-9]*.[0-9]*) echo "$version" ;;
    *) echo "version.sh: cannot read the version from $cargo_toml" >&2; exit 1 ;;
esac
