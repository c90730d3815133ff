#!/bin/sh
# Builds the demo product package portsip-pbx-demo, whose maintainer scripts gate
# the install on the eula-gate receipt the Debian way (debconf).
#   build-demo-deb.sh EULA_GATE_BINARY OUTDIR
# The binary prints the license text that goes into the debconf note.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 EULA_GATE_BINARY OUTDIR" >&2; exit 2; }
gate=$1 outdir=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/portsip-pbx-demo
cp -a "$here/portsip-pbx-demo" "$root"
rm -f "$root/DEBIAN/templates.in"
# The license as a debconf extended description: each line indented by one space,
# empty lines as " .".
{
    sed -n '1,/^@LICENSE@$/p' "$here/portsip-pbx-demo/DEBIAN/templates.in" | sed '$d'
    "$gate" show | sed -e 's/^$/./' -e 's/^/ /'
    sed -n '/^@LICENSE@$/,$p' "$here/portsip-pbx-demo/DEBIAN/templates.in" | sed '1d'
} >"$root/DEBIAN/templates"
chmod 0755 "$root/DEBIAN/config" "$root/DEBIAN/preinst" "$root/DEBIAN/postrm"
mkdir -p "$outdir"
version=$(sed -n 's/^Version: //p' "$root/DEBIAN/control")
dpkg-deb --root-owner-group --build "$root" "$outdir/portsip-pbx-demo_${version}_all.deb" >/dev/null
echo "$outdir/portsip-pbx-demo_${version}_all.deb"
