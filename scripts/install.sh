#!/bin/sh
# Installs what `cargo build --release` made, the way C and C++ projects expect
# a library (`make install` / `make uninstall` call this):
#
#   install     LIBDIR/libspread.so.X.Y.Z (SONAME libspread.so.X, set by build.rs)
#               with libspread.so.X and libspread.so linking to it, libspread.a,
#               LIBDIR/pkgconfig/spread.pc, LIBDIR/cmake/spread/spread{Config,ConfigVersion}.cmake,
#               INCLUDEDIR/spread.h and spread.hpp, BINDIR/spread (the CLI),
#               UNITDIR/spread-flush.service and .timer (systemd: the flush every 5 minutes,
#               ExecStart=BINDIR/spread), TMPFILESDIR/spread.conf (the spool folder)
#   uninstall   removes those files
#   dev-link    target/release/libspread.so.X -> libspread.so, so that programs
#               linked against the build tree find the SONAME they record
#
# Environment: PREFIX (/usr/local), LIBDIR (PREFIX/lib), INCLUDEDIR
# (PREFIX/include), BINDIR (PREFIX/bin), UNITDIR (PREFIX/lib/systemd/system),
# TMPFILESDIR (PREFIX/lib/tmpfiles.d), DESTDIR (staging root, prepended to
# every path written; the installed files still name PREFIX).
# For release artifacts (scripts/dist.sh): BUILD_DIR (where cargo put the
# libraries and the CLI, default target/release) and RELOCATABLE=1 (spread.pc
# finds its prefix from its own folder, ${pcfiledir}, instead of naming PREFIX;
# the CMake package is always relative to its own folder; the units' ExecStart
# stays /usr/local/bin/spread, since no absolute path fits a tree unpacked anywhere).
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$repo/target/release}
version=$(sh "$repo/scripts/version.sh")
major=${version%%.*}
soname="libspread.so.$major"

prefix=${PREFIX:-/usr/local}
libdir=${LIBDIR:-$prefix/lib}
includedir=${INCLUDEDIR:-$prefix/include}
bindir=${BINDIR:-$prefix/bin}
unitdir=${UNITDIR:-$prefix/lib/systemd/system}
tmpfilesdir=${TMPFILESDIR:-$prefix/lib/tmpfiles.d}
destdir=${DESTDIR:-}
pkgconfigdir="$libdir/pkgconfig"
cmakedir="$libdir/cmake/spread"

for dir in "$prefix" "$libdir" "$includedir" "$bindir" "$unitdir" "$tmpfilesdir"; do
    case $dir in
        /*) ;;
        *) echo "install.sh: '$dir' is not an absolute path" >&2; exit 1 ;;
    esac
done

if [ "${RELOCATABLE:-}" = 1 ]; then
    for dir in "$libdir" "$includedir"; do
        case $dir in
            "$prefix"/*) ;;
            *) echo "install.sh: RELOCATABLE=1 needs '$dir' inside PREFIX '$prefix'" >&2; exit 1 ;;
        esac
    done
fi

# Path of $2 relative to directory $1 (both absolute, need not exist).
relative() {
    realpath -m -s --relative-to="$1" "$2"
}

# The .pc file's prefix: PREFIX, or with RELOCATABLE=1 the way from the .pc file's folder to it.
pc_prefix() {
    if [ "${RELOCATABLE:-}" = 1 ]; then
        echo "\${pcfiledir}/$(relative "$pkgconfigdir" "$prefix")"
    else
        echo "$prefix"
    fi
}

# The .pc file spells its paths with ${prefix} where it can, as pkg-config users expect.
pc_path() {
    case $1 in
        "$prefix") echo '${prefix}' ;;
        "$prefix"/*) echo "\${prefix}${1#"$prefix"}" ;;
        *) echo "$1" ;;
    esac
}

# $1 made safe as a sed replacement (| is the delimiter below).
sed_escape() {
    printf '%s' "$1" | sed 's/[&|\\]/\\&/g'
}

# Substitutes @NAME@ placeholders of template $1 into $2.
configure() {
    sed -e "s|@VERSION@|$version|g" \
        -e "s|@MAJOR@|$major|g" \
        -e "s|@PREFIX@|$(sed_escape "$(pc_prefix)")|g" \
        -e "s|@LIBDIR@|$(sed_escape "$(pc_path "$libdir")")|g" \
        -e "s|@INCLUDEDIR@|$(sed_escape "$(pc_path "$includedir")")|g" \
        -e "s|@PREFIX_FROM_CMAKEDIR@|$(sed_escape "$(relative "$cmakedir" "$prefix")")|g" \
        -e "s|@LIBDIR_REL@|$(sed_escape "$(relative "$prefix" "$libdir")")|g" \
        -e "s|@INCLUDEDIR_REL@|$(sed_escape "$(relative "$prefix" "$includedir")")|g" \
        "$1" >"$2"
    chmod 0644 "$2"
}

# ld.so finds a library in a system folder (/usr/local/lib) only once its cache lists it.
refresh_ld_cache() {
    if [ -z "$destdir" ] && [ "$(id -u)" = 0 ] && command -v ldconfig >/dev/null \
        && ldconfig -v -N 2>/dev/null | awk -F: -v dir="$libdir" '$1 == dir { found = 1 } END { exit !found }'; then
        ldconfig
    fi
}

do_install() {
    for artifact in libspread.so libspread.a spread; do
        [ -f "$build/$artifact" ] || { echo "install.sh: $build/$artifact is missing: run make build (cargo build --release --features cli)" >&2; exit 1; }
    done
    lib="$destdir$libdir"
    install -d "$lib" "$destdir$pkgconfigdir" "$destdir$cmakedir" "$destdir$includedir" "$destdir$bindir"
    install -m 0755 "$build/libspread.so" "$lib/libspread.so.$version"
    ln -sfn "libspread.so.$version" "$lib/$soname"
    ln -sfn "libspread.so.$version" "$lib/libspread.so"
    install -m 0644 "$build/libspread.a" "$lib/libspread.a"
    install -m 0644 "$repo/include/spread.h" "$repo/include/spread.hpp" "$destdir$includedir/"
    install -m 0755 "$build/spread" "$destdir$bindir/spread"
    configure "$repo/pkgconfig/spread.pc.in" "$destdir$pkgconfigdir/spread.pc"
    configure "$repo/cmake/spreadConfig.cmake.in" "$destdir$cmakedir/spreadConfig.cmake"
    configure "$repo/cmake/spreadConfigVersion.cmake.in" "$destdir$cmakedir/spreadConfigVersion.cmake"
    # systemd: the units name the installed command.
    spread_bin=$bindir/spread
    [ "${RELOCATABLE:-}" != 1 ] || spread_bin=/usr/local/bin/spread
    install -d "$destdir$unitdir" "$destdir$tmpfilesdir"
    for unit in spread-flush.service spread-flush.timer; do
        sed -e "s|/usr/bin/spread|$(sed_escape "$spread_bin")|g" "$repo/systemd/$unit" >"$destdir$unitdir/$unit"
        chmod 0644 "$destdir$unitdir/$unit"
    done
    install -m 0644 "$repo/systemd/spread.tmpfiles.conf" "$destdir$tmpfilesdir/spread.conf"
    refresh_ld_cache
    echo "installed libspread $version into $destdir$prefix"
}

do_uninstall() {
    lib="$destdir$libdir"
    rm -f "$lib/libspread.so.$version" "$lib/$soname" "$lib/libspread.so" "$lib/libspread.a" \
        "$destdir$pkgconfigdir/spread.pc" \
        "$destdir$cmakedir/spreadConfig.cmake" "$destdir$cmakedir/spreadConfigVersion.cmake" \
        "$destdir$includedir/spread.h" "$destdir$includedir/spread.hpp" \
        "$destdir$bindir/spread" \
        "$destdir$unitdir/spread-flush.service" "$destdir$unitdir/spread-flush.timer" "$destdir$tmpfilesdir/spread.conf"
    # Only the folder that is ours alone; lib/, include/ and bin/ are shared.
    rmdir "$destdir$cmakedir" 2>/dev/null || true
    refresh_ld_cache
    echo "removed libspread $version from $destdir$prefix"
}

case ${1:-} in
    install) do_install ;;
    uninstall) do_uninstall ;;
    dev-link)
        [ -f "$build/libspread.so" ] || { echo "install.sh: $build/libspread.so is missing" >&2; exit 1; }
        ln -sfn libspread.so "$build/$soname" ;;
    *) echo "usage: $0 install|uninstall|dev-link" >&2; exit 2 ;;
esac
