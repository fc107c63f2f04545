# Sourced by ./test: a separate virtualenv with abcvoting, the independent implementation the
# count is checked against. Test-only: the app never imports it.
ORACLE="$ROOT/.venv-oracle"
ORACLE_PIN="abcvoting==2.19.2"
if [ ! -f "$ORACLE/.installed" ] || [ "$(cat "$ORACLE/.installed")" != "$ORACLE_PIN" ]; then
    echo "Installing the test oracle ($ORACLE_PIN) into $ORACLE ..." >&2
    "$(find_python)" -m venv "$ORACLE"
    "$ORACLE/bin/python" -m pip install --quiet --disable-pip-version-check "$ORACLE_PIN"
    echo "$ORACLE_PIN" > "$ORACLE/.installed"
fi
