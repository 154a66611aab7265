"""Build the extra Python corpus tree on the CPU machine, compressed in parts for carrying.

    python -m qwen_lsp.training.py_extra --packages qwen_lsp/training/py_packages.txt \\
        --out .carry --part-mib 38

downloads each listed distribution as a wheel (``pip download --no-deps --only-binary=:all:``;
the network is used here, at build time, never by the server or the tests), or, for a name with
no wheel, its source distribution (PyPI's JSON API; no build backend runs), unpacks only its
``.py`` files and the ``*.dist-info`` metadata (METADATA, RECORD, licence files; an sdist's
PKG-INFO becomes its METADATA), runs the corpus
builder over the tree to drop what the GPU job would drop anyway (non-permissive licences,
generated, minified, vendored, duplicate, HumanEval-contaminated files), and writes the pruned
tree as ``py_extra.tar.xz`` split into parts ``<out>/pyx<N>/py_extra.tar.xz.part<N>`` (one part
per carry: a call carries at most 64 MiB with the working tree), with ``py_extra.sha256``.

On the GPU machine: ``cat`` the parts into one file and pass it to
``gpu_job.py prepare --lang python --extra-site FILE`` (GPU_RUNBOOK.md).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from qwen_lsp.frameworks.detect import normalize
from qwen_lsp.training.corpus import build_corpus, find_humaneval, python_site_packages


def read_package_list(path: Path) -> list[str]:
    """Names in a package list (one per line, ``#`` comments)."""
    names = []
    for line in path.read_text().splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name)
    return names


def download_wheels(names: list[str], dest: Path, jobs: int = 8) -> list[str]:
    """``pip download`` each name as a wheel into ``dest``; returns the names that failed."""
    dest.mkdir(parents=True, exist_ok=True)

    def one(name: str) -> str | None:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps"]
        cmd += ["--only-binary=:all:", "--python-version", "3.12", "--implementation", "cp"]
        for plat in ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"):
            cmd += ["--platform", plat]
        cmd += ["--platform", "any", "-d", str(dest), name]
        r = subprocess.run(cmd, capture_output=True, text=True)
        return None if r.returncode == 0 else name

    with ThreadPoolExecutor(jobs) as pool:
        return [n for n in pool.map(one, names) if n]


PYPI_JSON = "https://pypi.org/pypi/{name}/json"
# Top-level folders of a source distribution that are not the package (tests of one sdist would
# overwrite another's in the shared tree, and wheels leave them out too).
SDIST_SKIPPED_DIRS = {"tests", "test", "testing", "docs", "doc", "examples", "benchmarks", "bench"}


def download_sdists(names: list[str], dest: Path, jobs: int = 8) -> list[str]:
    """The latest source distribution of each name (for those with no wheel), from PyPI's JSON
    API: a plain download checked against the listed SHA-256, so no build backend runs here.
    Returns the names that have none or failed."""
    import urllib.parse
    import urllib.request

    dest.mkdir(parents=True, exist_ok=True)

    def one(name: str) -> str | None:
        index = PYPI_JSON.format(name=name)
        try:
            with urllib.request.urlopen(index, timeout=60) as r:
                info = json.load(r)
            files = [u for u in info.get("urls", []) if u.get("packagetype") == "sdist"]
            if not files:
                return name
            url = files[0]
            # A mirror in front of PyPI may answer with addresses relative to the JSON's.
            with urllib.request.urlopen(urllib.parse.urljoin(index, url["url"]), timeout=120) as r:
                data = r.read()
            if hashlib.sha256(data).hexdigest() != url.get("digests", {}).get("sha256"):
                return name
            (dest / url["filename"]).write_bytes(data)
            return None
        except (OSError, ValueError):
            return name

    with ThreadPoolExecutor(jobs) as pool:
        return [n for n in pool.map(one, names) if n]


def _read_sdist(sdist: Path) -> tuple[str, dict[str, bytes]]:
    """The top folder of a ``.tar.gz`` or ``.zip`` source distribution and every file in it,
    by its path in the archive (no top folder for an empty archive)."""
    if sdist.name.endswith(".zip"):
        with zipfile.ZipFile(sdist) as z:
            members = {n: z.read(n) for n in z.namelist() if not n.endswith("/")}
    else:
        with tarfile.open(sdist) as tar:
            members = {
                m.name: f.read()
                for m in tar.getmembers()
                if m.isfile() and (f := tar.extractfile(m)) is not None
            }
    top = min(members).split("/", 1)[0] if members else ""
    return top, members


def _metadata_fields(text: str) -> dict[str, str]:
    """The header fields of a METADATA or PKG-INFO text (first value of each)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the description follows
        if ": " in line and line[0] not in " \t":
            key, value = line.split(": ", 1)
            fields.setdefault(key, value.strip())
    return fields


def _pkg_info(members: dict[str, bytes], top: str) -> tuple[str, str, str] | None:
    """(PKG-INFO text, Name, Version) of an sdist, or None without a usable PKG-INFO."""
    raw = members.get(f"{top}/PKG-INFO")
    if raw is None:
        return None
    meta = raw.decode("utf-8", "replace")
    fields = _metadata_fields(meta)
    name, version = fields.get("Name", ""), fields.get("Version", "")
    return (meta, name, version) if name and version else None


def _record_rows(paths: list[str]) -> str:
    """RECORD lines (CSV: a path with a comma is quoted) for ``paths``, without hashes."""
    rows = io.StringIO()
    csv.writer(rows, lineterminator="\n").writerows([path, "", ""] for path in paths)
    return rows.getvalue()


def _sdist_layout(top: str, names: list[str]) -> tuple[dict[str, str], list[str]]:
    """The kept members of an sdist: its package ``.py`` files by their path in the tree to
    write (``src/`` layout flattened; top-level scripts and test/doc folders left out), and its
    top-level licence files."""
    sources: dict[str, str] = {}
    licences: list[str] = []
    for name in names:
        parts = name.split("/")
        if len(parts) < 2 or parts[0] != top:
            continue
        rest = parts[1:]
        if len(rest) == 1:
            if any(mark in rest[0].upper() for mark in ("LICEN", "COPYING")):
                licences.append(name)
            continue
        if rest[0] == "src":
            rest = rest[1:]
        if (
            len(rest) >= 2
            and rest[0].lower() not in SDIST_SKIPPED_DIRS
            and rest[-1].endswith(".py")
        ):
            sources[name] = "/".join(rest)
    return sources, licences


def unpack_sdists(sdists: list[Path], site: Path) -> int:
    """Lay out each source distribution (``.tar.gz`` or ``.zip``) in ``site`` as an installed
    distribution: its package ``.py`` files, and a ``<name>-<version>.dist-info`` holding its
    ``PKG-INFO`` as ``METADATA``, its licence files and a ``RECORD``, which is what
    :func:`~qwen_lsp.training.corpus.python_site_packages` reads. Returns the files written."""
    count = 0
    for sdist in sdists:
        top, members = _read_sdist(sdist)
        parsed = _pkg_info(members, top)
        if parsed is None:
            continue
        meta, name, version = parsed
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir(parents=True, exist_ok=True)
        (info / "METADATA").write_text(meta, encoding="utf-8")
        sources, licences = _sdist_layout(top, sorted(members))
        written = [f"{info.name}/METADATA", f"{info.name}/RECORD"]
        targets = {m: f"{info.name}/{m.rsplit('/', 1)[1]}" for m in licences} | sources
        for member, rel in targets.items():
            (site / rel).parent.mkdir(parents=True, exist_ok=True)
            (site / rel).write_bytes(members[member])
            written.append(rel)
            count += 1
        (info / "RECORD").write_text(_record_rows(written), encoding="utf-8")
    return count


TEST_DIRS = ("tests", "test", "testing")


def add_sdist_tests(sdists: list[Path], site: Path) -> int:
    """Add the test suites that wheels leave out: the ``.py`` files under an sdist's top-level
    ``tests``/``test``/``testing`` folder join the distribution of the same name already in
    ``site`` (written under ``<dist-info stem>.tests/``, listed in its RECORD), so they take its
    licence and its side of the held-out split. An sdist with no such distribution is skipped.
    Returns the files added."""
    installed: dict[str, Path] = {}
    for info in site.glob("*.dist-info"):
        meta = (info / "METADATA").read_text(encoding="utf-8", errors="replace")
        if name := _metadata_fields(meta).get("Name"):
            installed[normalize(name)] = info
    count = 0
    for sdist in sdists:
        top, members = _read_sdist(sdist)
        parsed = _pkg_info(members, top)
        owner = installed.get(normalize(parsed[1])) if parsed else None
        if owner is None:
            continue
        stem = owner.name.removesuffix(".dist-info") + ".tests"
        added = []
        for member, data in sorted(members.items()):
            parts = member.split("/")
            if len(parts) >= 3 and parts[1] in TEST_DIRS and member.endswith(".py"):
                rel = "/".join([stem, *parts[1:]])
                (site / rel).parent.mkdir(parents=True, exist_ok=True)
                (site / rel).write_bytes(data)
                added.append(rel)
        if added:
            record = owner / "RECORD"
            text = record.read_text(encoding="utf-8") if record.exists() else ""
            # A last line without its newline must not run into the first added one.
            joint = "" if not text or text.endswith("\n") else "\n"
            record.write_text(text + joint + _record_rows(added), encoding="utf-8")
            count += len(added)
    return count


def _kept_member(name: str) -> bool:
    parts = name.split("/")
    if name.endswith("/"):
        return False
    if name.endswith(".py"):
        return True
    last = parts[-1].upper()
    in_info = len(parts) >= 2 and parts[-2].endswith(".dist-info")
    return in_info and (last in ("METADATA", "RECORD") or "LICEN" in last or "COPYING" in last)


def unpack_sources(wheels: list[Path], site: Path) -> int:
    """Unpack the ``.py`` files and distribution metadata of ``wheels`` into ``site``."""
    count = 0
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as z:
            for name in z.namelist():
                if _kept_member(name):
                    z.extract(name, site)
                    count += 1
    return count


def prune(site: Path, work: Path, workers: int | None = None) -> dict:
    """Delete every ``.py`` file of ``site`` that the corpus builder does not keep; returns the
    builder's manifest (what the GPU job will see, before its cross-tree de-duplication)."""
    manifest = build_corpus(
        python_site_packages([site]),
        work,
        "python",
        heldout_fraction=0.0,
        workers=workers,
        humaneval=find_humaneval() or False,
        log=lambda _msg: None,
    )
    kept = set()
    with open(work / "train.jsonl", encoding="utf-8") as fh:
        for line in fh:
            kept.add(json.loads(line)["path"])
    for root, _dirs, files in os.walk(site):
        for f in files:
            path = Path(root) / f
            rel = path.relative_to(site).as_posix()
            if rel.endswith(".py") and rel not in kept:
                path.unlink()
    return manifest


def pack(site: Path, out: Path, part_bytes: int) -> list[Path]:
    """``site`` as one ``py_extra.tar.xz`` (top folder ``py_extra``) in carry-sized parts."""
    out.mkdir(parents=True, exist_ok=True)
    whole = out / "py_extra.tar.xz"
    with tarfile.open(whole, "w:xz", preset=6) as tar:
        tar.add(site, arcname="py_extra")
    digest = hashlib.sha256(whole.read_bytes()).hexdigest()
    parts = []
    with open(whole, "rb") as fh:
        i = 0
        while chunk := fh.read(part_bytes):
            folder = out / f"pyx{i}"
            folder.mkdir(parents=True, exist_ok=True)
            part = folder / f"py_extra.tar.xz.part{i}"
            part.write_bytes(chunk)
            parts.append(part)
            i += 1
    (parts[-1].parent / "py_extra.sha256").write_text(f"{digest}  py_extra.tar.xz\n")
    whole.unlink()
    return parts


def main(argv: list[str] | None = None) -> int:
    """Download, unpack, prune, pack."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packages", type=Path, help="package list (one name per line)")
    ap.add_argument("--wheels", type=Path, default=Path("/tmp/py_extra_build/wheels"))
    ap.add_argument("--skip-download", action="store_true", help="use the wheels already there")
    ap.add_argument("--work", type=Path, default=Path("/tmp/py_extra_build"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--part-mib", type=float, default=38.0)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument(
        "--with-tests",
        action="store_true",
        help="also download each wheel's sdist and add its test suite (wheels leave tests out)",
    )
    args = ap.parse_args(argv)
    tests_dir = args.wheels / "sdist-tests"
    if not args.skip_download:
        if args.packages is None:
            ap.error("--packages is required unless --skip-download")
        names = read_package_list(args.packages)
        no_wheel = download_wheels(names, args.wheels)
        # No wheel (old pure-Python packages often have none): the source distribution.
        failed = download_sdists(no_wheel, args.wheels) if no_wheel else []
        print(json.dumps({"download_failed": failed}), flush=True)
        if args.with_tests:
            # The sdists fetched above carry their tests already.
            no_tests = download_sdists([n for n in names if n not in no_wheel], tests_dir)
            print(json.dumps({"no_sdist_for_tests": no_tests}), flush=True)
    wheels = sorted(args.wheels.glob("*.whl"))
    sdists = sorted([*args.wheels.glob("*.tar.gz"), *args.wheels.glob("*.zip")])
    if not wheels and not sdists:
        raise SystemExit(f"no wheels or source distributions in {args.wheels}")
    site = args.work / "site"
    if site.exists():
        shutil.rmtree(site)
    files = unpack_sources(wheels, site) + unpack_sdists(sdists, site)
    test_files = 0
    if args.with_tests:
        test_sdists = sorted([*tests_dir.glob("*.tar.gz"), *tests_dir.glob("*.zip")])
        test_files = add_sdist_tests([*test_sdists, *sdists], site)
    manifest = prune(site, args.work / "corpus", args.workers)
    parts = pack(site, args.out, int(args.part_mib * 2**20))
    (args.out / "py_extra_manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(
        json.dumps(
            {
                "wheels": len(wheels),
                "sdists": len(sdists),
                "test_files": test_files,
                "unpacked_files": files,
                "kept": manifest["totals"],
                "parts": [str(p) for p in parts],
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
