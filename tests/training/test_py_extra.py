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
