# shellcheck shell=sh disable=SC2154 # pkg, product and sha256 come from the script it is copied into
# Shared by the preinst and the postinst (copied into both when the package is
# built, at the line "# @CONSENT@"): reading the debconf answer once, and acting on
# it. Expects pkg, product and sha256 to be set and the confmodule to be loaded.

# The text this package shows, as the gate records it (written in at build time).
# @LICENSE_TEXT@

# Runs eula-gate accept for exactly that text, with the options given.
accept_shown_text() {
    license_text | eula-gate accept --product "$product" --license - --license-id "$pkg" \
        --context debconf "$@"
}

# Reads the answer into answer/seen and forgets it, with both seen flags and the
# digest it was given for: the receipt, not debconf, remembers consent, so an answer
# is used once and never for another text.
take_answer() {
    db_get "$pkg/accept-license" || RET=""
    answer=$RET
    # Seen: a person (or a preseed) answered. Unseen "I DECLINE" is only the first
    # choice that a noninteractive frontend fills in: nobody was asked.
    db_fget "$pkg/accept-license" seen || RET=false
    seen=$RET
    db_get "$pkg/answered-sha256" || RET=""
    answered_for=$RET
    db_reset "$pkg/accept-license" || true
    db_reset "$pkg/answered-sha256" || true
    db_fset "$pkg/accept-license" seen false || true
    db_fset "$pkg/license" seen false || true
    if [ -n "$answered_for" ] && [ "$answered_for" != "$sha256" ]; then
        echo "$pkg: the answer in debconf was given for another license text (SHA-256 $answered_for); it was not used." >&2
        answer="" seen=false
    fi
}

# Acts on the answer taken; $1 says what happens without consent ("installed" or
# "configured"). Returns only when consent was recorded.
act_on_answer() {
    case $answer/$seen in
        "I DECLINE"/true)
            # An explicit decline stands, whatever the environment says.
            db_input critical "$pkg/license-declined" || true
            db_go || true
            echo "$pkg: the PortSIP Software End-User License Agreement was declined; $pkg is not $1." >&2
            exit 1
            ;;
    esac
    # EULA_GATE_ACCEPT set: eula-gate records it if it names the product (method env),
    # and says why not otherwise.
    if [ -n "${EULA_GATE_ACCEPT:-}" ] && accept_shown_text --non-interactive; then
        return 0
    fi
    case $answer/$seen in
        "I AGREE"/*)
            accept_shown_text --accept-eula="$sha256" >&2
            ;;
        /* | "I DECLINE"/*)
            cat >&2 <<MSG
$pkg: the PortSIP Software End-User License Agreement must be accepted before
$pkg is $1, and nobody could be asked (DEBIAN_FRONTEND=noninteractive, or
no terminal). Read it with: eula-gate show
Accept it for an unattended install with
  echo "$pkg $pkg/accept-license select I AGREE" | debconf-set-selections
or by setting EULA_GATE_ACCEPT=$product, then try again.
MSG
            exit 1
            ;;
        *)
            shown=$(printf '%s' "$answer" | tr -c '[:print:]' '?')
            cat >&2 <<MSG
$pkg: the preseeded answer "$shown" to $pkg/accept-license is not one of
its choices, "I AGREE" or "I DECLINE"; nothing was accepted and $pkg is not
$1. Preseed
  echo "$pkg $pkg/accept-license select I AGREE" | debconf-set-selections
to accept the PortSIP Software End-User License Agreement, then try again.
MSG
            exit 1
            ;;
    esac
}
