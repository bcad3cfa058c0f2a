"""File integrity digests for evidence: size, SHA-256 and SM3 (GB/T 32905, asked for by Chinese evidence rules)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20


class DigestError(RuntimeError):
    """A digest cannot be computed (SM3 missing from this Python's OpenSSL, unreadable file)."""


def _sm3() -> hashlib._Hash:
    try:
        return hashlib.new("sm3")
    except ValueError as e:
        raise DigestError(
            "this Python's OpenSSL has no SM3 (expected OpenSSL >= 1.1.1 with SM3 enabled); "
            f"hashlib offers: {sorted(hashlib.algorithms_available)}"
        ) from e


@dataclass(frozen=True)
class FileDigest:
    size: int
    sha256: str
    sm3: str

    def as_dict(self) -> dict[str, object]:
        return {"size": self.size, "sha256": self.sha256, "sm3": self.sm3}


def digest_file(path: Path) -> FileDigest:
    sha, sm3, size = hashlib.sha256(), _sm3(), 0
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                sha.update(chunk)
                sm3.update(chunk)
                size += len(chunk)
    except OSError as e:
        raise DigestError(f"cannot read {path} to hash it: {e}") from e
    return FileDigest(size, sha.hexdigest(), sm3.hexdigest())


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def model_identity(path: Path) -> dict[str, str]:
    """What evidence records of the model that decided: its name and SHA-256.

    A model directory (OpenVINO: .xml + .bin) is hashed as the SHA-256 of its files' "sha256  name"
    lines, sorted by name, so the same files always give the same digest.
    """
    if path.is_file():
        return {"file": path.name, "sha256": digest_file(path).sha256}
    lines = sorted(f"{digest_file(f).sha256}  {f.relative_to(path)}\n" for f in path.rglob("*") if f.is_file())
    return {"file": path.name, "sha256": sha256_hex("".join(lines).encode())}
