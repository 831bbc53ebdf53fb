"""Lays out the uwsgid Debian package's tree from `[package.metadata.deb]` of
uwsgid/Cargo.toml (the one asset list, which cargo-deb reads too) and writes
DEBIAN/control and the maintainer scripts; `dpkg-deb --build` makes the .deb.

    python3 packaging/deb/layout.py ROOT TARGET_DIR OUT_DIR DEPENDS

TARGET_DIR is the cargo target directory holding release/ (cargo-deb's
`target/release/...` sources); other sources are relative to uwsgid/, as for
cargo-deb. DEPENDS is what dpkg-shlibdeps found (cargo-deb's `$auto`).
"""

import glob
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent


def metadata(root: Path) -> tuple[dict, dict]:
    with open(root / "uwsgid/Cargo.toml", "rb") as f:
        package = tomllib.load(f)["package"]
    with open(root / "Cargo.toml", "rb") as f:
        workspace = tomllib.load(f)["workspace"]["package"]
    return package, workspace


def source_files(source: str, crate: Path, target: Path) -> list[Path]:
    """cargo-deb's rule: `target/release/...` is in the target directory."""
    if source.startswith("target/"):
        pattern = target / source.removeprefix("target/")
    else:
        pattern = crate / source
    files = sorted(Path(p) for p in glob.glob(str(pattern)))
    if not files:
        sys.exit(f"build-deb: no file matches the asset {source} ({pattern})")
    return files


def install_assets(assets: list, crate: Path, target: Path, out: Path) -> None:
    for source, dest, mode in assets:
        for path in source_files(source, crate, target):
            where = out / (dest + path.name if dest.endswith("/") else dest)
            where.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, where)
            where.chmod(int(mode, 8))


def install_unit(deb: dict, crate: Path, out: Path) -> str:
    units = deb["systemd-units"]
    name = units["unit-name"]
    unit = crate / units["unit-scripts"] / f"{name}.service"
    where = out / "usr/lib/systemd/system" / f"{name}.service"
    where.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(unit, where)
    where.chmod(0o644)
    return name


def maintainer_scripts(deb: dict, unit: str, out: Path) -> None:
    """dh_installsystemd's snippets for the flags of `systemd-units`: every
    systemctl call is behind `[ -d /run/systemd/system ]`, so installing
    where systemd is not running starts nothing."""
    units = deb["systemd-units"]
    if units.get("restart-after-upgrade", True) or units.get("stop-on-upgrade", True):
        sys.exit("build-deb: only restart-after-upgrade = false, stop-on-upgrade = false are supported")
    values = {
        "UNIT": f"{unit}.service",
        "ENABLE": "true" if units.get("enable", True) else "false",
        "START": "true" if units.get("start", True) else "false",
    }
    debian = out / "DEBIAN"
    debian.mkdir(parents=True, exist_ok=True)
    for script in ("postinst", "prerm", "postrm"):
        text = (SCRIPTS / f"{script}.in").read_text()
        for key, value in values.items():
            text = text.replace(f"@{key}@", value)
        (debian / script).write_text(text)
        (debian / script).chmod(0o755)


def installed_size(out: Path) -> int:
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and "DEBIAN" not in p.parts)
    return (total + 1023) // 1024


def control(package: dict, workspace: dict, deb: dict, depends: str, out: Path) -> None:
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()
    depends = deb.get("depends", "$auto").replace("$auto", depends)
    extended = " ".join(deb["extended-description"].split())
    fields = {
        "Package": deb["name"],
        "Version": f"{workspace['version']}-1",
        "Architecture": arch,
        "Maintainer": deb["maintainer"],
        "Installed-Size": str(installed_size(out)),
        "Depends": depends,
        "Recommends": deb.get("recommends", ""),
        "Section": deb["section"],
        "Priority": deb["priority"],
        "Description": f"{package['description']}\n {extended}",
    }
    text = "".join(f"{k}: {v}\n" for k, v in fields.items() if v)
    (out / "DEBIAN/control").write_text(text)
    doc = out / "usr/share/doc" / deb["name"]
    doc.mkdir(parents=True, exist_ok=True)
    (doc / "copyright").write_text(
        f"Copyright: {deb['copyright']}\nLicense: {workspace['license']}\n")


def main() -> None:
    root, target, out, depends = (Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]),
                                  sys.argv[4])
    package, workspace = metadata(root)
    deb = package["metadata"]["deb"]
    crate = root / "uwsgid"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    install_assets(deb["assets"], crate, target, out)
    unit = install_unit(deb, crate, out)
    maintainer_scripts(deb, unit, out)
    control(package, workspace, deb, depends, out)


if __name__ == "__main__":
    main()
