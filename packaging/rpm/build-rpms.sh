#!/bin/sh
# Builds eula-gate and portsip-pbx-demo rpms with rpmbuild (Debian's `rpm` package
# has it).
#   build-rpms.sh BINARY MANDIR OUTDIR [LICENSE_FILE]
# The demo's %pre is pinned to the digest of LICENSE_FILE (normalized), else of the
# text that BINARY embeds. Prints the paths of the two .rpm files.
set -eu
[ $# -eq 3 ] || [ $# -eq 4 ] || { echo "usage: build-rpms.sh BINARY MANDIR OUTDIR [LICENSE_FILE]" >&2; exit 2; }
binary=$(realpath "$1") mandir=$(realpath "$2") outdir=$3
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
version=$("$binary" --version | sed 's/^eula-gate //')
spec_version=$(sed -n 's/^Version: *//p' "$here/eula-gate.spec")
if [ "$spec_version" != "$version" ]; then
    echo "build-rpms.sh: $binary is version $version but eula-gate.spec says $spec_version" >&2
    exit 1
fi
if [ $# -eq 4 ]; then
    sha256=$("$binary" hash --product portsip-pbx --license "$4")
else
    sha256=$("$binary" hash)
fi
# Reproducible: build time, file times and host from SOURCE_DATE_EPOCH, not the clock.
: "${SOURCE_DATE_EPOCH:=$(dpkg-parsechangelog -l "$here/../deb/eula-gate/changelog" -STimestamp)}"
export SOURCE_DATE_EPOCH
# The binary is stripped and the spec compresses the man pages itself; Debian's
# brp-* post-install scripts assume bash as /bin/sh, so they are not run.
top=$(mktemp -d)
trap 'rm -rf "$top"' EXIT
for spec in eula-gate portsip-pbx-demo; do
    rpmbuild -bb --quiet \
        --define "_topdir $top" \
        --define "gate_binary $binary" \
        --define "gate_mandir $mandir" \
        --define "gate_src $src" \
        --define "license_sha256 $sha256" \
        --define "__os_install_post %{nil}" \
        --define "use_source_date_epoch_as_buildtime 1" \
        --define "clamp_mtime_to_source_date_epoch 1" \
        --define "_buildhost reproducible" \
        "$here/$spec.spec" >&2
done
mkdir -p "$outdir"
for rpm in "$top"/RPMS/*/*.rpm; do
    cp "$rpm" "$outdir/"
    echo "$outdir/$(basename "$rpm")"
done
