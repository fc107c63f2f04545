# Sourced by ./test: Debian's chromium for the browser tests (tests/web), installed only when it
# is missing, without recommends (as root, by apt-get; Playwright's own browser download cannot
# reach its servers from here). Elsewhere it says what to install and the tests say they skip.
CHROMIUM=/usr/lib/chromium/chromium

ensure_chromium() {
    if [ -x "$CHROMIUM" ]; then
        return 0
    fi
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "The browser tests need Debian's chromium at $CHROMIUM:" >&2
        echo "  apt-get install --no-install-recommends chromium fonts-dejavu-core" >&2
        return 0
    fi
    echo "Installing chromium for the browser tests ..." >&2
    apt-get -o DPkg::Lock::Timeout=300 update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
            --no-install-recommends chromium fonts-dejavu-core >/dev/null ||
        echo "chromium could not be installed: the browser tests (tests/web) will say so" >&2
}

ensure_chromium
