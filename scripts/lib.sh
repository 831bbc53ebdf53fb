# Shared helpers for scripts/test and scripts/example (sourced, not run).
# Callers set `set -euo pipefail` and ROOT (the repository's top directory).

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The interpreter pyo3 links against: .cargo/config.toml's PYO3_PYTHON is the
# one source of truth, so the virtualenvs match the embedded CPython.
pyo3_python() {
    local py
    py=$(sed -n 's/^[[:space:]]*PYO3_PYTHON[[:space:]]*=[[:space:]]*"\(.*\)".*/\1/p' \
        "$ROOT/.cargo/config.toml")
    [ -n "$py" ] || die "no PYO3_PYTHON in $ROOT/.cargo/config.toml"
    [ -x "$py" ] || die "PYO3_PYTHON=$py (from .cargo/config.toml) is not an executable; install that CPython (pyenv install 3.11.7)"
    printf '%s\n' "$py"
}

# Installs the Debian packages named, only those missing; `apt-get update`
# runs once, and only when something has to be installed.
apt_ensure() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "apt-get install ${missing[*]}"
    [ "$(id -u)" -eq 0 ] || die "need root to install ${missing[*]} (or install them yourself)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

# make_venv DIR REQUIREMENTS_FILE [EXTRA_KEY]
# Creates (or re-uses) a virtualenv with the interpreter pyo3 links against and
# the requirements installed. A marker file holds a hash of the interpreter,
# the requirements and EXTRA_KEY; a venv whose marker matches is complete and
# re-used as is, anything else is rebuilt from scratch.
make_venv() {
    local dir=$1 reqs=$2 extra=${3:-} py want
    py=$(pyo3_python)
    want=$( { printf '%s\n' "$py" "$extra"; "$py" --version; cat "$reqs"; } | sha256sum | cut -d' ' -f1)
    if [ -f "$dir/.uwsgid-complete" ] && [ "$(cat "$dir/.uwsgid-complete")" = "$want" ]; then
        return 0
    fi
    say "creating virtualenv $dir"
    rm -rf "$dir"
    "$py" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$reqs"
    printf '%s\n' "$want" > "$dir/.uwsgid-complete"
}

# Installs cargo-fuzz (from crates.io) and makes sure the nightly toolchain it
# needs is there; both only when missing.
cargo_fuzz_ensure() {
    if ! rustup toolchain list | grep -q '^nightly'; then
        say "rustup toolchain install nightly"
        rustup toolchain install nightly --profile minimal
    fi
    if ! cargo fuzz --version >/dev/null 2>&1; then
        say "cargo install cargo-fuzz --locked"
        cargo install cargo-fuzz --locked
    fi
}

# fuzz_targets SECONDS [TARGET...]: runs each fuzz target of tests/fuzz for
# SECONDS (every target when none is named), starting from its committed seeds
# (tests/fuzz/corpus/TARGET, read only) and the corpus grown by earlier runs
# (target/fuzz-corpus/TARGET). A crash stops with the input saved under
# tests/fuzz/artifacts/TARGET/ and a non-zero status.
fuzz_targets() {
    local seconds=$1 target grown log
    shift
    local targets=("$@")
    [ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir "$ROOT/tests/fuzz")
    for target in "${targets[@]}"; do
        grown=$ROOT/target/fuzz-corpus/$target
        mkdir -p "$grown"
        say "cargo fuzz run $target (${seconds}s)"
        log=$ROOT/target/fuzz-$target.log
        if ! cargo +nightly fuzz run --fuzz-dir "$ROOT/tests/fuzz" "$target" \
            "$grown" "$ROOT/tests/fuzz/corpus/$target" \
            -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 >"$log" 2>&1; then
            tail -n 60 "$log"
            die "fuzz target $target failed (log $log; input under tests/fuzz/artifacts/$target/)"
        fi
        # libFuzzer's last line: "Done N runs in S second(s)".
        grep -E '^Done [0-9]+ runs' "$log" | tail -n 1
    done
}
