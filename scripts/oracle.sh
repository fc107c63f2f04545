# Sourced by ./test: a separate virtualenv with the independent implementations that the
# counts (abcvoting, pref_voting), the Merkle tree (pymerkle) and DSSE (securesystemslib) are
# checked against.
# Test-only: the app never imports them.
ORACLE="$ROOT/.venv-oracle"
ORACLE_PINS="abcvoting==2.19.2 pymerkle==7.0.0 securesystemslib[crypto]==1.6.0 pref_voting==1.18.2"
if [ ! -f "$ORACLE/.installed" ] || [ "$(cat "$ORACLE/.installed")" != "$ORACLE_PINS" ]; then
    echo "Installing the test oracle ($ORACLE_PINS) into $ORACLE ..." >&2
    rm -rf "$ORACLE"
    "$(find_python)" -m venv --without-pip "$ORACLE"
    # The main environment's pip installs into the oracle's interpreter; no globbing of "[crypto]".
    set -f
    if ! "$VENV/bin/python" -m pip --python "$ORACLE/bin/python" install --quiet \
        --disable-pip-version-check $ORACLE_PINS; then
        rm -rf "$ORACLE"  # never leave a half-made oracle behind
        echo "Installing the test oracle failed." >&2
        exit 1
    fi
    set +f
    echo "$ORACLE_PINS" > "$ORACLE/.installed"
fi
