#!/bin/sh
# Builds the eula-gate .deb with dpkg-deb: the binary, the man page, shell
# completions and the embedded license text under /usr/share/doc.
#   build-gate-deb.sh BINARY MANPAGE OUTDIR
# (packaging/deb/build.sh runs cargo and both package builds in one go.)
set -eu
[ $# -eq 3 ] || { echo "usage: $0 BINARY MANPAGE OUTDIR" >&2; exit 2; }
binary=$1 manpage=$2 outdir=$3
here=$(cd "$(dirname "$0")" && pwd)
version=$("$binary" --version | sed 's/^eula-gate //')
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/eula-gate

install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" \
    "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
    "$root/usr/share/fish/vendor_completions.d" "$root/usr/share/doc/eula-gate" "$root/var/lib/eula-gate"
install -m 0755 "$binary" "$root/usr/bin/eula-gate"
gzip -9n <"$manpage" >"$root/usr/share/man/man1/eula-gate.1.gz"
"$binary" completions bash >"$root/usr/share/bash-completion/completions/eula-gate"
"$binary" completions zsh >"$root/usr/share/zsh/vendor-completions/_eula-gate"
"$binary" completions fish >"$root/usr/share/fish/vendor_completions.d/eula-gate.fish"
"$binary" show >"$root/usr/share/doc/eula-gate/portsip-eula.txt"
cp "$here/copyright" "$root/usr/share/doc/eula-gate/copyright"
chmod 0644 "$root"/usr/share/man/man1/* "$root"/usr/share/*/completions/* \
    "$root"/usr/share/zsh/vendor-completions/* "$root"/usr/share/fish/vendor_completions.d/* \
    "$root"/usr/share/doc/eula-gate/*
size=$(du -sk "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: eula-gate
Version: $version-1
Architecture: $arch
Maintainer: eula-gate developers <eula-gate@localhost>
Installed-Size: $size
Depends: libc6
Section: admin
Priority: optional
Description: license gate for installers: show, require typed consent, record a receipt
 eula-gate pages a license text in the terminal, requires explicit typed
 agreement, and writes a hashed acceptance receipt that package scripts,
 containers and services check with "eula-gate verify".
CONTROL
mkdir -p "$outdir"
dpkg-deb --root-owner-group --build "$root" "$outdir/eula-gate_${version}-1_${arch}.deb" >/dev/null
echo "$outdir/eula-gate_${version}-1_${arch}.deb"
