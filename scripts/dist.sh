#!/usr/bin/env bash
# `make dist`: what a user downloads, built into dist/ from one portable build.
#
#   libspread-V-py3-none-manylinux_2_17_x86_64.whl   Python wheel, the library inside (ctypes: any Python 3)
#   libspread-V.tar.gz                                Python sdist, the Rust crate inside (builds with cargo)
#   libspread-V-x86_64-linux-gnu.tar.gz               C/C++: lib/ include/ bin/, relocatable spread.pc + CMake package
#   libspread-spread-V.zip                            Composer package (libspread/spread) with lib/libspread.so
#   libspread0_V_amd64.deb, libspread-dev_V_amd64.deb Debian/Ubuntu: library + CLI, and the development files
#   SHA256SUMS                                        of all of the above
#
# V is Cargo.toml's version (scripts/version.sh). The library and the `spread` CLI are
# built once with cargo-zigbuild against glibc 2.17 (zig's own libc stubs), so they
# load on any x86_64 Linux with glibc >= 2.17; every artifact carries those same files.
# Tools (.ci/setup dist): cargo + cargo-zigbuild, the virtualenv .venv-dist (ziglang,
# build, wheel, auditwheel), php, dpkg-deb, binutils.
set -euo pipefail
umask 022

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
version=$(sh scripts/version.sh)
major=${version%%.*}
out=$repo/dist
venv=${DIST_VENV:-$repo/.venv-dist}
glibc=2.17
triple=x86_64-unknown-linux-gnu
multiarch=x86_64-linux-gnu
build=$repo/target/$triple/release
# Archive timestamps: the last commit's, so that a rebuild of the same commit gives the same
# files (all but the sdist, which setuptools stamps with the time of the build).
# Exported after the build: the cc crate rebuilds ring whenever SOURCE_DATE_EPOCH changes.
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

stage=$(mktemp -d "${TMPDIR:-/tmp}/spread-dist.XXXXXX")
trap 'rm -rf "$stage"' EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { echo "dist.sh: $*" >&2; exit 1; }

# The newest GLIBC_x.y symbol version the ELF files $@ need (readelf's version needs).
glibc_needed() {
    readelf -V --wide "$@" | grep -o 'Name: GLIBC_[0-9.]*' | sed 's/.*GLIBC_//' | sort -uV | tail -n 1
}

# Sets every mtime under $1 to SOURCE_DATE_EPOCH.
settle_mtimes() {
    find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

# ----------------------------------------------------------------------------- the portable build
step "libspread $version: cargo zigbuild for $triple, glibc $glibc (library + CLI)"
for tool in cargo cargo-zigbuild php dpkg-deb readelf strip; do
    command -v "$tool" >/dev/null || fail "$tool is missing: run .ci/setup dist"
done
[ -x "$venv/bin/python" ] || fail "$venv is missing: run .ci/setup dist"
# cargo-zigbuild runs zig from the ziglang package of this Python.
CARGO_ZIGBUILD_PYTHON_PATH=$venv/bin/python nice cargo zigbuild --release --locked --features cli --target "$triple.$glibc"
for artifact in libspread.so libspread.a spread; do
    [ -f "$build/$artifact" ] || fail "$build/$artifact was not built"
done
needed=$(glibc_needed "$build/libspread.so" "$build/spread")
[ "$(printf '%s\n' "$needed" "$glibc" | sort -V | tail -n 1)" = "$glibc" ] \
    || fail "the build needs GLIBC_$needed, newer than $glibc"
# The libraries they load must all come with glibc itself (libc6): anything else is a new dependency.
others=$(readelf -d "$build/libspread.so" "$build/spread" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u \
    | grep -Exv 'libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|ld-linux-x86-64\.so\.2' || true)
[ -z "$others" ] || fail "the build links libraries beyond glibc: $others"
echo "needs glibc >= $needed"
export SOURCE_DATE_EPOCH=$epoch

rm -rf "$out"
mkdir -p "$out"

# ----------------------------------------------------------------------------- Python
step "Python wheel and sdist"
# setup.py bundles this library instead of running cargo; the wheel is py3-none (ctypes).
rm -rf bindings/python/build
SPREAD_PREBUILT_LIBRARY=$build/libspread.so \
    "$venv/bin/python" -m build --wheel --no-isolation --outdir "$stage/wheel" bindings/python >"$stage/wheel.log" \
    || { cat "$stage/wheel.log"; fail "the wheel did not build"; }
"$venv/bin/python" -m build --sdist --no-isolation --outdir "$out" bindings/python >"$stage/sdist.log" \
    || { cat "$stage/sdist.log"; fail "the sdist did not build"; }
rm -rf bindings/python/build
# setuptools tags it for this machine (linux_x86_64); the library inside is built for manylinux_2_17.
"$venv/bin/wheel" tags --remove --platform-tag "manylinux_${glibc/./_}_x86_64" "$stage/wheel"/*.whl >/dev/null
wheel=$out/libspread-$version-py3-none-manylinux_${glibc/./_}_x86_64.whl
mv "$stage/wheel/$(basename "$wheel")" "$wheel"
"$venv/bin/auditwheel" show "$wheel" | tee "$stage/auditwheel.txt"
tr -s ' \n' ' ' <"$stage/auditwheel.txt" | grep -q "consistent with the following platform tag: \"manylinux_${glibc/./_}_x86_64\"" \
    || fail "auditwheel does not confirm manylinux_${glibc/./_}_x86_64"

# ----------------------------------------------------------------------------- C and C++
step "C/C++ tarball"
tarname=libspread-$version-$multiarch
# install.sh lays the tree out as `make install` does; RELOCATABLE: spread.pc names no absolute path.
BUILD_DIR=$build RELOCATABLE=1 DESTDIR=$stage/tar PREFIX=/$tarname sh scripts/install.sh install
strip --strip-debug "$stage/tar/$tarname/lib/libspread.a"
[ ! -f LICENSE ] || install -m 0644 LICENSE "$stage/tar/$tarname/"
settle_mtimes "$stage/tar"
tar -C "$stage/tar" --sort=name --owner=0 --group=0 --numeric-owner -cf - "$tarname" | gzip -n -9 >"$out/$tarname.tar.gz"

# ----------------------------------------------------------------------------- PHP
step "Composer package"
pkg=$stage/composer
mkdir -p "$pkg/lib"
cp -R bindings/php/src bindings/php/bin bindings/php/examples "$pkg/"
install -m 0644 bindings/php/autoload.php bindings/php/preload.php bindings/php/README.md "$pkg/"
[ ! -f LICENSE ] || install -m 0644 LICENSE "$pkg/"
# Where Spread\Library looks for the shipped copy and its FFI header.
install -m 0644 "$build/libspread.so" "$pkg/lib/libspread.so"
install -m 0644 include/spread_ffi.h "$pkg/lib/spread_ffi.h"
# An artifact repository takes the version from the package's composer.json.
php -r '$c = json_decode(file_get_contents($argv[1]), true, 512, JSON_THROW_ON_ERROR);
        $c = ["name" => $c["name"], "version" => $argv[2]] + $c;
        file_put_contents($argv[3], json_encode($c, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES) . "\n");' \
    bindings/php/composer.json "$version" "$pkg/composer.json"
settle_mtimes "$pkg"
(cd "$pkg" && TZ=UTC "$venv/bin/python" -m zipfile -c "$out/libspread-spread-$version.zip" ./*)

# ----------------------------------------------------------------------------- Debian
step "Debian packages"
deb=$stage/deb
BUILD_DIR=$build DESTDIR=$deb/all PREFIX=/usr LIBDIR=/usr/lib/$multiarch sh scripts/install.sh install
libdir=usr/lib/$multiarch
# libspread0: the run-time library (by its SONAME) and the CLI; libspread-dev: everything else.
run=$deb/libspread$major
mkdir -p "$run/$libdir" "$run/usr/bin"
mv "$deb/all/$libdir/libspread.so.$version" "$deb/all/$libdir/libspread.so.$major" "$run/$libdir/"
mv "$deb/all/usr/bin/spread" "$run/usr/bin/"
rmdir "$deb/all/usr/bin"
# The systemd units and the spool's tmpfiles.d line go with the command (not enabled:
# the keys come first; docs/operations.md); the units' Documentation= names docs/operations.md
# and the README, shipped with docs/ beside it so that the README's links resolve.
mkdir -p "$run/usr/lib" "$run/usr/share/doc/libspread$major/docs"
mv "$deb/all/usr/lib/systemd" "$deb/all/usr/lib/tmpfiles.d" "$run/usr/lib/"
install -m 0644 README.md "$run/usr/share/doc/libspread$major/README.md"
install -m 0644 docs/*.md "$run/usr/share/doc/libspread$major/docs/"
mv "$deb/all" "$deb/libspread-dev"
chmod 0644 "$run/$libdir/libspread.so.$version"   # Debian policy: libraries are not executable
strip --strip-debug "$deb/libspread-dev/$libdir/libspread.a"
maintainer=${DEB_MAINTAINER:-$(git log -1 --format='%an <%ae>')}

# $1 package, $2 section, $3 Depends, $4 Description (first line, then an indented body).
deb_package() {
    local name=$1 root=$deb/$1
    mkdir -p "$root/usr/share/doc/$name" "$root/DEBIAN"
    {
        echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
        echo "Upstream-Name: libspread"
        echo
        echo "Files: *"
        echo "Copyright: the libspread authors"
        echo "License: MIT"
        [ ! -f LICENSE ] || sed -e 's/^$/./' -e 's/^/ /' LICENSE
    } >"$root/usr/share/doc/$name/copyright"
    cat >"$root/DEBIAN/control" <<EOF
Package: $name
Source: libspread
Version: $version
Architecture: amd64
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $3
Section: $2
Priority: optional
Description: $4
EOF
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
    chmod 0644 "$root/DEBIAN"/*
    settle_mtimes "$root"
    dpkg-deb --build --root-owner-group "$root" "$out/${name}_${version}_amd64.deb"
}

# Depends: the glibc symbol versions the files need (checked above), not this machine's glibc.
# (dpkg-shlibdeps would say libc6 (>= 2.34): Debian 12's symbols files date libpthread.so.0
# and libdl.so.2 from 2.34, when glibc merged them into libc, whatever symbols are used.)
# ldconfig refreshes the loader's cache when the library comes or goes.
mkdir -p "$run/DEBIAN"
echo "activate-noawait ldconfig" >"$run/DEBIAN/triggers"
# Packages built against libspread.so.0 depend on this version or a later one of the same major.
echo "libspread $major libspread$major (>= $version)" >"$run/DEBIAN/shlibs"
deb_package "libspread$major" libs "libc6 (>= $needed)" "send orders to the SPREAD CRM (shared library and CLI)
 libspread sends customer profiles and orders to the SPREAD CRM (updateOrder)
 with validation, timeouts, retries and a crash-safe spool for offline
 delivery. This package holds the shared library libspread.so.$major, the
 spread command, which flushes a spool folder, and the systemd units
 spread-flush.service and spread-flush.timer that run it every 5 minutes."
deb_package libspread-dev libdevel "libspread$major (= $version)" "send orders to the SPREAD CRM (development files)
 libspread sends customer profiles and orders to the SPREAD CRM (updateOrder).
 This package holds the C header spread.h, the C++17 header spread.hpp, the
 static library, and the pkg-config (spread) and CMake (find_package(spread))
 files to build against it."

# ----------------------------------------------------------------------------- checksums
step "SHA256SUMS"
(cd "$out" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs sha256sum >SHA256SUMS)
cat "$out/SHA256SUMS"
ls -l "$out"
