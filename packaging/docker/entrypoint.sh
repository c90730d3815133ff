#!/bin/sh
# Container entrypoint: refuses to start the service until the license is accepted.
#
#   docker build --build-arg EULA_GATE_ACCEPT=portsip-pbx .   # accepted at build time
#   docker run -e EULA_GATE_ACCEPT=portsip-pbx IMAGE            # or at run time
#
# The receipt lives in EULA_GATE_RECEIPT_DIR (default /var/lib/eula-gate); mount a
# volume there to keep a run-time acceptance across containers.
set -eu

product=${EULA_GATE_PRODUCT:-portsip-pbx}
gate=${EULA_GATE:-eula-gate}

if ! "$gate" verify --quiet --product "$product"; then
    status=0
    # Consent given to this container at run time, per product. eula-gate's own
    # messages (such as "EULA_GATE_ACCEPT=yes is not consent") stay on stderr.
    "$gate" accept --non-interactive --context docker-entrypoint --product "$product" </dev/null || status=$?
    if [ "$status" -ne 0 ]; then
        "$gate" verify --product "$product" 2>&1 | sed 's/^/entrypoint: /' >&2 || true
        cat >&2 <<MSG
entrypoint: refusing to start: the PortSIP Software End-User License Agreement for
$product has not been accepted.
  read it:   docker run --rm --entrypoint eula-gate IMAGE show
  accept it: docker run -e EULA_GATE_ACCEPT=$product IMAGE ...
             or build with: docker build --build-arg EULA_GATE_ACCEPT=$product .
MSG
        exit 4
    fi
fi
exec "$@"
