# Shared helpers for scripts/test and scripts/example (sourced, not run).
# Callers set `set -euo pipefail` and ROOT (the repository's top directory).

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The interpreter a build embeds, found the way pyo3 finds it: PYO3_PYTHON,
# else the active virtualenv's python, else python3 on PATH. It is printed as
# that interpreter's own sys.executable (pyenv's shim resolves to the real
# binary), so that exporting it as PYO3_PYTHON pins the build: without it,
# pyo3 rebuilds whenever PATH changes.
pyo3_python() {
    local py
    if [ -n "${PYO3_PYTHON:-}" ]; then
        py=$PYO3_PYTHON
    elif [ -n "${VIRTUAL_ENV:-}" ]; then
        py=$VIRTUAL_ENV/bin/python
    else
        py=$(command -v python3) \
            || die "no python3 on PATH: install python3 and python3-dev (or set PYO3_PYTHON)"
    fi
    "$py" -c 'import sys; print(sys.executable)' 2>/dev/null \
        || die "cannot run the Python interpreter $py (PYO3_PYTHON, VIRTUAL_ENV or PATH)"
}

# Exports PYO3_PYTHON (see pyo3_python) after checking that the interpreter
# can be embedded: uwsgid links its libpython3.X.so, which a distribution
# ships in python3-dev and a pyenv build has only with --enable-shared.
export_pyo3_python() {
    local py lib
    py=$(pyo3_python)
    lib=$("$py" - <<'PY'
import os, sysconfig
v = sysconfig.get_config_var
name = "libpython" + v("LDVERSION") + ".so"
dirs = [v("LIBDIR"), os.path.join(v("LIBDIR") or "", v("MULTIARCH") or "")]
print(next((os.path.join(d, name) for d in dirs if os.path.exists(os.path.join(d, name))), ""))
PY
    )
    [ -n "$lib" ] || die "$py has no shared libpython to embed: install python3-dev (Debian, Ubuntu), or rebuild it with --enable-shared (pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install VERSION), or choose another interpreter with PYO3_PYTHON"
    export PYO3_PYTHON=$py
    say "embedding $("$py" -c 'import platform; print(platform.python_version())') from $py (PYO3_PYTHON)"
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

# make_venv DIR REQUIREMENTS_FILE [EXTRA_KEY [PYTHON]]
# Creates (or re-uses) a virtualenv of PYTHON (default: the interpreter a
# build embeds, pyo3_python) with the requirements installed. A marker file
# holds a hash of the interpreter, the requirements and EXTRA_KEY; a venv
# whose marker matches is complete and re-used as is, anything else is
# rebuilt from scratch.
make_venv() {
    local dir=$1 reqs=$2 extra=${3:-} py=${4:-} want
    [ -n "$py" ] || py=$(pyo3_python)
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

# find_python 3.9: prints the executable of a GIL-enabled CPython 3.9 the
# machine has (python3.9 on PATH, else pyenv's newest 3.9.x); fails, printing
# nothing, when there is none. pyenv's shims of inactive versions do not run,
# so each candidate is asked for its version.
find_python() {
    local version=$1 candidate root
    local candidates=()
    candidate=$(command -v "python$version" 2>/dev/null) && candidates+=("$candidate")
    root=$(pyenv root 2>/dev/null || printf '%s\n' "$HOME/.pyenv")
    while IFS= read -r candidate; do
        candidates+=("$candidate")
    done < <(compgen -G "$root/versions/$version.*/bin/python$version" | sort -rV)
    for candidate in "${candidates[@]}"; do
        "$candidate" - "$version" 2>/dev/null <<'PY' && return 0
import sys, sysconfig
ok = "%d.%d" % sys.version_info[:2] == sys.argv[1]
if ok and not sysconfig.get_config_var("Py_GIL_DISABLED"):
    print(sys.executable)
else:
    sys.exit(1)
PY
    done
    return 1
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
