"""The extra Python corpus tree: wheels unpacked to sources and metadata, pruned by the corpus
builder's own rules, packed in carry-sized parts that join back to a verified archive."""

from __future__ import annotations

import hashlib
import tarfile
import textwrap
import zipfile
from pathlib import Path

from qwen_lsp.training.corpus import python_site_packages
from qwen_lsp.training.py_extra import main, read_package_list

BODY = textwrap.dedent(
    '''
    """Interval helpers."""


    def merge_intervals(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Merge overlapping closed intervals, sorted by start."""
        merged: list[tuple[int, int]] = []
        for start, end in sorted(intervals):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged
    '''
)


def _wheel(folder: Path, name: str, licence: str, files: dict[str, str]) -> None:
    info = f"{name}-1.0.dist-info"
    record = "".join(f"{p},,\n" for p in [*files, f"{info}/METADATA", f"{info}/RECORD"])
    with zipfile.ZipFile(folder / f"{name}-1.0-py3-none-any.whl", "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
        z.writestr(f"{name}/data.bin", b"\x00\x01 not source")
        z.writestr(
            f"{info}/METADATA",
            f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\nLicense-Expression: {licence}\n",
        )
        z.writestr(f"{info}/RECORD", record)


def test_package_list_reads_names_and_skips_comments(tmp_path: Path) -> None:
    lst = tmp_path / "p.txt"
    lst.write_text("# header\ndjango\n\nsqlglot  # parser\n")
    assert read_package_list(lst) == ["django", "sqlglot"]


def test_wheels_become_a_pruned_tree_in_parts(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    minified = "var_a=1;" * 4000  # one huge line: the builder's minified/data filter drops it
    _wheel(wheels, "intervals", "MIT", {"intervals/__init__.py": BODY, "intervals/m.py": minified})
    _wheel(wheels, "copyleft", "GPL-3.0-only", {"copyleft/__init__.py": BODY.replace("a", "b")})
    out = tmp_path / "carry"
    rc = main(
        [
            "--skip-download",
            "--wheels",
            str(wheels),
            "--work",
            str(tmp_path / "work"),
            "--out",
            str(out),
            "--part-mib",
            "0.0003",  # about 300 bytes: several parts
            "--workers",
            "1",
        ]
    )
    assert rc == 0
    parts = sorted(out.glob("pyx*/py_extra.tar.xz.part*"), key=lambda p: int(p.suffix[5:]))
    assert len(parts) > 1
    joined = tmp_path / "py_extra.tar.xz"
    joined.write_bytes(b"".join(p.read_bytes() for p in parts))
    sha_file = next(out.glob("pyx*/py_extra.sha256"))
    assert sha_file.read_text().split()[0] == hashlib.sha256(joined.read_bytes()).hexdigest()
    with tarfile.open(joined) as tar:
        tar.extractall(tmp_path / "x", filter="data")
    site = tmp_path / "x" / "py_extra"
    kept = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert "intervals/__init__.py" in kept
    assert "intervals/m.py" not in kept  # filtered as the GPU job would
    assert "copyleft/__init__.py" not in kept  # licence
    assert "intervals/data.bin" not in kept  # sources and metadata only
    # The tree reads back as a site: licence and version from the wheel's own metadata.
    sources = {s.name: s for s in python_site_packages([site])}
    assert sources["intervals"].permissive and sources["intervals"].version == "1.0"


def _tar_gz(path: Path, members: dict[str, str]) -> Path:
    """A ``.tar.gz`` archive of ``members`` (path in the archive -> text)."""
    import io

    with tarfile.open(path, "w:gz") as tar:
        for member, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _sdist(folder: Path, name: str, licence_line: str, body: str = BODY) -> Path:
    """A source distribution as PyPI serves one: ``src/`` layout, tests, setup.py, LICENSE."""
    top = f"{name}-2.0"
    members = {
        f"{top}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: 2.0\n{licence_line}\n",
        f"{top}/LICENSE": "Permission is hereby granted, free of charge, to any person",
        f"{top}/setup.py": "from setuptools import setup\nsetup()\n",
        f"{top}/src/{name}/__init__.py": body,
        f"{top}/tests/test_{name}.py": "def test_it():\n    assert True\n",
    }
    return _tar_gz(folder / f"{top}.tar.gz", members)


def test_an_sdist_is_laid_out_as_an_installed_distribution(tmp_path: Path) -> None:
    from qwen_lsp.training.py_extra import unpack_sdists

    sdists = tmp_path / "sdists"
    sdists.mkdir()
    site = tmp_path / "site"
    written = unpack_sdists([_sdist(sdists, "luhnish", "License: MIT")], site)
    (package,) = python_site_packages([site])
    # The package's own source only (src/ flattened; no setup.py, no tests), its licence read
    # from the PKG-INFO that became METADATA, the licence file kept beside it.
    assert package.name == "luhnish" and package.version == "2.0"
    assert package.license == "MIT"
    assert [rel for _, rel in package.files] == ["luhnish/__init__.py"]
    assert (site / "luhnish" / "__init__.py").read_text() == BODY
    assert (site / "luhnish-2.0.dist-info" / "LICENSE").exists()
    assert not (site / "setup.py").exists() and not (site / "tests").exists()
    assert written == 2


def test_wheels_and_sdists_build_one_tree(tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    _wheel(downloads, "intervals", "MIT", {"intervals/__init__.py": BODY})
    other = BODY.replace("merge", "join").replace("Merge", "Join").replace("sorted(", "list(")
    _sdist(downloads, "luhnish", "License: MIT", other)
    _sdist(downloads, "copyleftish", "License: GPL-3.0-only", other.replace("join", "fold"))
    out = tmp_path / "carry"
    argv = ["--skip-download", "--wheels", str(downloads), "--work", str(tmp_path / "work")]
    assert main([*argv, "--out", str(out), "--workers", "1"]) == 0
    (part,) = out.glob("pyx*/py_extra.tar.xz.part*")
    with tarfile.open(part) as tar:
        names = set(tar.getnames())
    # The permissive sdist's source joins the wheel's; the copyleft one is pruned.
    kept = {n for n in names if n.endswith("__init__.py")}
    assert kept == {"py_extra/intervals/__init__.py", "py_extra/luhnish/__init__.py"}
    assert "py_extra/luhnish-2.0.dist-info/METADATA" in names


TESTS_BODY = textwrap.dedent(
    '''
    from intervals import merge_intervals


    def test_touching_intervals_merge():
        """Closed intervals that share an end point become one."""
        assert merge_intervals([(1, 2), (2, 5)]) == [(1, 5)]
    '''
)


def test_test_suites_join_their_wheels_distribution(tmp_path: Path) -> None:
    from qwen_lsp.training.py_extra import add_sdist_tests, unpack_sources

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels, "intervals", "MIT", {"intervals/__init__.py": BODY})
    site = tmp_path / "site"
    unpack_sources(sorted(wheels.glob("*.whl")), site)

    def sdist(name: str) -> Path:
        members = {
            f"{name}-1.0/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
            f"{name}-1.0/{name}/__init__.py": BODY,
            f"{name}-1.0/tests/test_{name}.py": TESTS_BODY,
            f"{name}-1.0/docs/conf.py": "project = 'x'\n",
        }
        return _tar_gz(tmp_path / f"{name}-1.0.tar.gz", members)

    # A RECORD whose last line has no newline (seen in real wheels) still reads afterwards.
    record = site / "intervals-1.0.dist-info" / "RECORD"
    record.write_text(record.read_text().rstrip("\n"))
    # The suite of a distribution in the tree joins it; one with no distribution there is
    # skipped (it would have no licence of its own to go by).
    assert add_sdist_tests([sdist("intervals"), sdist("orphan")], site) == 1
    (package,) = python_site_packages([site])
    assert package.name == "intervals" and package.license == "MIT"
    assert sorted(rel for _, rel in package.files) == [
        "intervals-1.0.tests/tests/test_intervals.py",
        "intervals/__init__.py",
    ]
    assert (site / "intervals-1.0.tests" / "tests" / "test_intervals.py").read_text() == TESTS_BODY
    assert not list(site.glob("orphan*"))
