#!/bin/sh
# Builds the demo product package portsip-pbx-demo, whose maintainer scripts gate
# the install on the eula-gate receipt the Debian way (debconf).
#   build-demo-deb.sh EULA_GATE_BINARY OUTDIR [LICENSE_FILE]
# The debconf note shows the license text: LICENSE_FILE, normalized, else the text
# that EULA_GATE_BINARY embeds. Its digest is written into the maintainer scripts
# now, so that only that text can ever be recorded as accepted at install time.
set -eu
[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: build-demo-deb.sh EULA_GATE_BINARY OUTDIR [LICENSE_FILE]" >&2; exit 2; }
gate=$1 outdir=$2
here=$(cd "$(dirname "$0")" && pwd)
src=$here/portsip-pbx-demo
# shellcheck source=packaging/deb/lib.sh
. "$here/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/debian/portsip-pbx-demo
install -d "$root/DEBIAN" "$root/usr/share/portsip-pbx-demo"

if [ $# -eq 3 ]; then
    set -- --product portsip-pbx --license "$3"
else
    set --
fi
"$gate" show "$@" >"$work/license.txt"
sha256=$("$gate" hash "$@")
case $sha256 in
    *[!0-9a-f]* | "") echo "build-demo-deb.sh: $gate hash printed no digest" >&2; exit 1 ;;
esac

# The text goes into the maintainer scripts too (consent.sh's license_text), so that
# the gate records exactly the text shown (`--license -`), whatever it embeds.
end=EULA_GATE_LICENSE_TEXT_END
if grep -qx "$end" "$work/license.txt"; then
    echo "build-demo-deb.sh: the license text holds a line \"$end\"" >&2
    exit 1
fi
{
    echo "license_text() {"
    echo "    cat <<'$end'"
    cat "$work/license.txt"
    echo "$end"
    echo "}"
} >"$work/license_text.sh"

# The license as a debconf extended description: each line indented by one space,
# empty lines as " .".
{
    sed -n '1,/^@LICENSE@$/p' "$src/DEBIAN/templates.in" | sed '$d'
    sed -e 's/^$/./' -e 's/^/ /' "$work/license.txt"
    sed -n '/^@LICENSE@$/,$p' "$src/DEBIAN/templates.in" | sed '1d'
} | sed "s/@SHA256@/$sha256/g" >"$root/DEBIAN/templates"
for script in config preinst postinst postrm; do
    # consent.sh goes in at "# @CONSENT@" (the preinst and postinst share it).
    sed -e "/^# @CONSENT@\$/{r $src/consent.sh" -e 'd;}' -e "s/@SHA256@/$sha256/g" \
        "$src/DEBIAN/$script" |
        sed -e "/^# @LICENSE_TEXT@\$/{r $work/license_text.sh" -e 'd;}' >"$root/DEBIAN/$script"
    chmod 0755 "$root/DEBIAN/$script"
done
cp "$src/README" "$root/usr/share/portsip-pbx-demo/README"

deb_build "$src" "$root" "$outdir"
