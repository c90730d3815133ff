#!/bin/sh
# PortSIP PBX installer front: the license gate first, then the install.
#
#   sh install.sh                      # asks on the terminal (also as `curl ... | sh`)
#   sh install.sh --accept-eula        # unattended: the license is accepted
#   sh install.sh --accept-eula=SHA256 # unattended, pinned to the reviewed text
#   EULA_GATE_ACCEPT=portsip-pbx sh install.sh
#
# Stops with eula-gate's exit code when the license is declined (3), when nobody
# can be asked (4) or on any other failure; nothing is installed then.
set -eu

product=portsip-pbx
gate=${EULA_GATE:-eula-gate}
prefix=${PORTSIP_PREFIX:-/opt/portsip}
accept=""

# The usage is here, not read from "$0": under `curl ... | sh -s -- --help` there
# is no script file to read.
usage() {
    cat <<'USAGE'
PortSIP PBX installer front: the license gate first, then the install.

  sh install.sh                      # asks on the terminal (also as `curl ... | sh`)
  sh install.sh --accept-eula        # unattended: the license is accepted
  sh install.sh --accept-eula=SHA256 # unattended, pinned to the reviewed text
  EULA_GATE_ACCEPT=portsip-pbx sh install.sh
  curl -fsSL URL | sh -s -- --accept-eula=SHA256

Stops with eula-gate's exit code when the license is declined (3), when nobody
can be asked (4) or on any other failure; nothing is installed then.
EULA_GATE=/path/to/eula-gate picks the binary; PORTSIP_PREFIX (default
/opt/portsip) is where it installs.
USAGE
}

for arg in "$@"; do
    case $arg in
        --accept-eula | --accept-eula=*) accept=$arg ;;
        -h | --help) usage; exit 0 ;;
        *) echo "install.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
    esac
done

if ! command -v "$gate" >/dev/null 2>&1; then
    echo "install.sh: eula-gate is not installed; install it first (see packaging/README.md) or set EULA_GATE=/path/to/eula-gate" >&2
    exit 1
fi

# The gate. Under `curl ... | sh` standard input is the script itself, so a person
# at the terminal is reached through /dev/tty.
status=0
if [ -n "$accept" ]; then
    "$gate" accept "$accept" --context install.sh --product "$product" || status=$?
elif [ -t 0 ] && [ -t 1 ]; then
    "$gate" accept --context install.sh --product "$product" || status=$?
elif (: </dev/tty >/dev/tty) 2>/dev/null; then
    "$gate" accept --context install.sh --product "$product" </dev/tty >/dev/tty || status=$?
else
    "$gate" accept --non-interactive --context install.sh --product "$product" </dev/null || status=$?
fi
if [ "$status" -ne 0 ]; then
    echo "install.sh: the PortSIP license was not accepted (eula-gate exit $status); nothing was installed." >&2
    exit "$status"
fi

# The install itself (a stand-in for the PBX's own steps).
echo "install.sh: installing PortSIP PBX into $prefix ..."
mkdir -p "$prefix/pbx"
printf 'PortSIP PBX installed %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$prefix/pbx/INSTALLED"
echo "install.sh: done."
