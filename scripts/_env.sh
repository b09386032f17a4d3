# Shared set-up for the scripts in this folder; source it, don't run it.
# It finds the Python interpreters the project supports and makes sure the project's
# virtualenv exists and is up to date with pyproject.toml.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
SUPPORTED_PYTHONS=(3.11 3.12 3.13)
# Symlinks to the interpreters found, put first on PATH for nox (see link_pythons).
PYTHONS_DIR="$ROOT/.pythons"

# find_python 3.12: print the path of a working python3.12, or nothing. Tries PATH first, then
# pyenv's versions (pyenv's shim for a version that isn't selected exists but doesn't run).
find_python() {
    local version="$1" candidate pyenv_root
    pyenv_root="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
    for candidate in "$(command -v "python$version" 2>/dev/null)" \
        "$pyenv_root"/versions/"$version".*/bin/"python$version" \
        /usr/local/bin/"python$version" /usr/bin/"python$version"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c "" 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# require_python 3.12: like find_python, but fails with one line when it isn't there.
require_python() {
    local found
    if ! found="$(find_python "$1")"; then
        echo "Python $1 was not found (on PATH or under pyenv); install it, e.g. 'pyenv install $1', and rerun." >&2
        return 1
    fi
    echo "$found"
}

# Every supported interpreter as .pythons/pythonX.Y, first on PATH, so that nox finds each
# whether it comes from PATH, pyenv or elsewhere.
link_pythons() {
    local version found
    mkdir -p "$PYTHONS_DIR"
    for version in "${SUPPORTED_PYTHONS[@]}"; do
        found="$(require_python "$version")" || return 1
        ln -sfn "$found" "$PYTHONS_DIR/python$version"
    done
    export PATH="$PYTHONS_DIR:$PATH"
}

ensure_venv() {
    local stamp="$VENV/.installed" python
    if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$stamp" -nt "$ROOT/pyproject.toml" ]; then
        return 0
    fi
    # The newest supported Python, so that the tools check against the newest Django.
    python="${PYTHON:-$(find_python 3.13 || find_python 3.12 || require_python 3.11)}" || return 1
    echo "Setting up the project's virtualenv in $VENV with $python ..."
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[s3,dev]"
    touch "$stamp"
}
