# Shared set-up for the scripts in this folder; source it, don't run it.
# It makes sure the project's virtualenv exists and is up to date with pyproject.toml.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON_BIN="${PYTHON:-$(command -v python3.11 || command -v python3)}"

ensure_venv() {
    local stamp="$VENV/.installed"
    if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$stamp" -nt "$ROOT/pyproject.toml" ]; then
        return 0
    fi
    echo "Setting up the project's virtualenv in $VENV ..."
    "$PYTHON_BIN" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[s3,dev]"
    touch "$stamp"
}
