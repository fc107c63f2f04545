# Sourced by ./run and ./test: make .venv, then `install_mandate` installs Mandate into it, once
# per pyproject change. ./run needs the runtime dependencies only; ./test adds the "dev" extra
# (pytest, ruff, mypy...). One stamp per set: ./run after ./test installs nothing, ./test after
# ./run adds only the extra.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

find_python() {
    for candidate in "${MANDATE_PYTHON:-}" python3.11 python3 python; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "Mandate needs Python 3.11 or newer on PATH (or MANDATE_PYTHON=/path/to/python)." >&2
    return 1
}

if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating $VENV ..." >&2
    "$(find_python)" -m venv "$VENV"
fi

# install_mandate [EXTRA]: Mandate and its runtime dependencies, plus those of EXTRA if given.
install_mandate() {
    local extra="${1:-}" want
    local stamp="$VENV/.mandate-installed${extra:+-$extra}"
    want="$(sha256sum < "$ROOT/pyproject.toml" | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "Installing Mandate${extra:+ and its $extra extra} into $VENV ..." >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            -e "$ROOT${extra:+[$extra]}"
        # the runtime dependencies are now in as well
        echo "$want" | tee "$stamp" > "$VENV/.mandate-installed"
    fi
}

# ensure_letter_font: the designation letters' PDF font (Latin and Arabic glyphs), from Debian's
# fonts-dejavu-core, installed only when missing (as root, by apt-get); elsewhere it says what
# to install, or MANDATE_LETTER_FONT names another font.
LETTER_FONT="${MANDATE_LETTER_FONT:-/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf}"
ensure_letter_font() {
    if [ -f "$LETTER_FONT" ]; then
        return 0
    fi
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "The designation letters' PDF needs the font $LETTER_FONT:" >&2
        echo "  apt-get install --no-install-recommends fonts-dejavu-core" >&2
        return 0
    fi
    echo "Installing fonts-dejavu-core for the designation letters ..." >&2
    apt-get -o DPkg::Lock::Timeout=300 update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
            --no-install-recommends fonts-dejavu-core >/dev/null ||
        echo "fonts-dejavu-core could not be installed: letters' PDFs will say so" >&2
}
ensure_letter_font
