#!/bin/sh
# Builds the eula-gate .deb: the binary, one man page per command, bash, zsh and
# fish completions, the embedded license text under /usr/share/doc, and
# /var/lib/eula-gate.
#   build-gate-deb.sh BINARY MANDIR OUTDIR
# MANDIR holds eula-gate.1 and eula-gate-*.1 (`cargo run --example manpage -- MANDIR`).
# packaging/build.sh runs cargo and every package build in one go.
set -eu
[ $# -eq 3 ] || { echo "usage: build-gate-deb.sh BINARY MANDIR OUTDIR" >&2; exit 2; }
binary=$1 mandir=$2 outdir=$3
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=packaging/deb/lib.sh
. "$here/lib.sh"

version=$("$binary" --version | sed 's/^eula-gate //')
changelog_version=$(dpkg-parsechangelog -l "$here/eula-gate/changelog" -SVersion)
if [ "${changelog_version%-*}" != "$version" ]; then
    echo "build-gate-deb.sh: $binary is version $version but packaging/deb/eula-gate/changelog is at $changelog_version; add a changelog entry" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/debian/eula-gate

install -d "$root/usr/bin" "$root/usr/share/man/man1" \
    "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
    "$root/usr/share/fish/vendor_completions.d" "$root/usr/share/doc/eula-gate" "$root/var/lib/eula-gate"
install -m 0755 "$binary" "$root/usr/bin/eula-gate"
found=0
for page in "$mandir"/eula-gate.1 "$mandir"/eula-gate-*.1; do
    [ -e "$page" ] || continue
    name=$(basename "$page")
    gzip -9n <"$page" >"$root/usr/share/man/man1/$name.gz"
    found=$((found + 1))
done
[ "$found" -gt 1 ] || { echo "build-gate-deb.sh: no man pages in $mandir" >&2; exit 1; }
"$binary" completions bash >"$root/usr/share/bash-completion/completions/eula-gate"
"$binary" completions zsh >"$root/usr/share/zsh/vendor-completions/_eula-gate"
"$binary" completions fish >"$root/usr/share/fish/vendor_completions.d/eula-gate.fish"
"$binary" show >"$root/usr/share/doc/eula-gate/portsip-eula.txt"

deb_build "$here/eula-gate" "$root" "$outdir" debian/eula-gate/usr/bin/eula-gate
