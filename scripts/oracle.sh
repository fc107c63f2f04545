# Sourced by ./test: a separate virtualenv with the independent implementations that the
# counts (abcvoting, pref_voting), the Merkle tree (pymerkle), DSSE (securesystemslib) and
# BLS12-381 with drand quicknet's signature check (py_ecc) are checked against
# (tests/policies/oracle_*.py, tests/records); bench/refs times them too.
# Test-only: the app never imports them.
# abcvoting, pref_voting and OR-Tools declare far more than they load (a 600 MB CBC build, SCIP,
# pandas, seaborn...), so they go in without their declared dependencies. ORACLE_DEPS is what
# abcvoting.abcrules and pref_voting.proportional_methods do import (Gurobi's and OR-Tools'
# modules included, at import time), plus gmpy2 and highspy, which abcvoting and PuLP use when
# present (bench/refs counts with both). py_ecc brings its few dependencies (eth-utils,
# eth-typing and theirs).
ORACLE="$ROOT/.venv-oracle"
ORACLE_BARE=(abcvoting==2.19.2 pref_voting==1.18.2 ortools==9.15.6755)
ORACLE_DEPS=(pymerkle==7.0.0 "securesystemslib[crypto]==1.6.0" numpy==2.3.5 networkx==3.6.1
    pulp==3.3.2 gurobipy==13.0.3 gmpy2==2.3.2 highspy==1.13.0 scipy==1.17.1 numba==0.62.1
    matplotlib==3.11.2 nashpy==0.0.40 tabulate==0.9.0 filelock==3.32.7 py_ecc==8.0.0)
ORACLE_PINS="${ORACLE_DEPS[*]} --no-deps ${ORACLE_BARE[*]}"

# The main environment's pip installs into the oracle's interpreter.
oracle_pip() {
    "$VENV/bin/python" -m pip --python "$ORACLE/bin/python" install --quiet \
        --disable-pip-version-check "$@"
}

if [ ! -f "$ORACLE/.installed" ] || [ "$(cat "$ORACLE/.installed")" != "$ORACLE_PINS" ]; then
    echo "Installing the test oracle into $ORACLE ..." >&2
    rm -rf "$ORACLE"
    "$(find_python)" -m venv --without-pip "$ORACLE"
    if ! oracle_pip "${ORACLE_DEPS[@]}" || ! oracle_pip --no-deps "${ORACLE_BARE[@]}"; then
        rm -rf "$ORACLE"  # never leave a half-made oracle behind
        echo "Installing the test oracle failed." >&2
        exit 1
    fi
    echo "$ORACLE_PINS" > "$ORACLE/.installed"
fi
