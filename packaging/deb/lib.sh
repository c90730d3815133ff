# Shared by build-gate-deb.sh and build-demo-deb.sh (sourced, not run): turns a
# staged tree into a .deb the way dpkg-buildpackage would, without debhelper.
#
#   deb_build SRCDIR ROOT OUTDIR [ELF...]
#
# SRCDIR holds control (source and binary stanza), changelog and copyright, and
# optionally lintian-overrides; ROOT is the staged tree WORK/debian/PACKAGE, WORK
# being a scratch directory. ELF files are paths inside ROOT, for dpkg-shlibdeps.
# Prints the path of the .deb. Two runs on the same inputs give the same bytes:
# every mtime is SOURCE_DATE_EPOCH (default: the changelog's date), modes are set
# explicitly (the umask does not matter), file lists are sorted.

deb_build() {
    src=$1 root=$2 out=$3
    shift 3
    work=$(dirname "$(dirname "$root")")
    pkg=$(basename "$root")
    : "${SOURCE_DATE_EPOCH:=$(dpkg-parsechangelog -l "$src/changelog" -STimestamp)}"
    export SOURCE_DATE_EPOCH
    cp "$src/control" "$work/debian/control"
    cp "$src/changelog" "$work/debian/changelog"

    install -d "$root/DEBIAN" "$root/usr/share/doc/$pkg"
    cp "$src/copyright" "$root/usr/share/doc/$pkg/copyright"
    gzip -9n <"$src/changelog" >"$root/usr/share/doc/$pkg/changelog.Debian.gz"
    if [ -e "$src/lintian-overrides" ]; then
        install -d "$root/usr/share/lintian/overrides"
        cp "$src/lintian-overrides" "$root/usr/share/lintian/overrides/$pkg"
    fi

    # Modes from the file's role, not from the umask or the checkout.
    find "$root" -type d -exec chmod 0755 {} +
    find "$root" -type f -perm /111 -exec chmod 0755 {} +
    find "$root" -type f ! -perm /111 -exec chmod 0644 {} +

    : >"$work/debian/$pkg.substvars"
    if [ $# -gt 0 ]; then
        # Depends from the libraries and symbol versions the binaries really use.
        (cd "$work" && dpkg-shlibdeps -T"debian/$pkg.substvars" "$@")
    fi
    (cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\n' | LC_ALL=C sort | xargs -r md5sum) \
        >"$root/DEBIAN/md5sums"
    chmod 0644 "$root/DEBIAN/md5sums"
    # Version from the changelog, Installed-Size from the tree, ${shlibs:Depends}.
    (cd "$work" && dpkg-gencontrol -p"$pkg" -P"debian/$pkg" -T"debian/$pkg.substvars")
    chmod 0644 "$root/DEBIAN/control"

    find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    version=$(sed -n 's/^Version: //p' "$root/DEBIAN/control")
    arch=$(sed -n 's/^Architecture: //p' "$root/DEBIAN/control")
    mkdir -p "$out"
    deb=$out/${pkg}_${version}_${arch}.deb
    dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
    echo "$deb"
}
