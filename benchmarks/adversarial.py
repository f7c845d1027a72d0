"""Hostile inputs against a real `digitrec serve` on 127.0.0.1: what each costs the server (issue 22).

One server process (history on, a fresh SQLite file, the default limits but
`--body-timeout 5` so the slow-body case ends soon). Each case sends its
request(s) and records the status, the server's CPU seconds (user + system,
from /proc) and its peak RSS growth (VmHWM, reset through /proc/PID/clear_refs
before the case, minus the RSS before it). Meanwhile a probe client sends a
canvas drawing to /api/predict every 250 ms: its slowest answer and its
failures say whether everything else kept answering. The probe's own requests
(a few ms of CPU each) are in the CPU figures.

A case with no answer within --cap seconds is reported as such, and the server
is restarted for the next one (its abandoned work would count against it).

    python benchmarks/adversarial.py                  # every case
    python benchmarks/adversarial.py --only giant16 chunked
"""

from __future__ import annotations

import argparse
import contextlib
import io
import select
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from _common import machine, save_json
from http_load import OURS, ServerSpec, free_port, start_server, stop_server, tree_cpu_seconds
from latency import canvas_png
from PIL import Image, ImageDraw
from real_inputs import _revision
from soak import _wait_healthy

BODY_TIMEOUT_S = 5.0


# --- inputs ------------------------------------------------------------------------------------


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def specks(count: int, side: int = 1000) -> bytes:
    """A grid of `count` 3x3 dots plus one short bar on a white side x side image (issue 22 read 900 of them)."""
    image = np.full((side, side), 255, dtype=np.uint8)
    per_row = round(count**0.5)
    step = side // (per_row + 1)
    for row in range(per_row):
        for col in range(per_row):
            y, x = step * (row + 1), step * (col + 1)
            image[y : y + 3, x : x + 3] = 0
    # One bar, small enough (4x40) that the 3x3 dots are not dropped as dust beside it (segment._SPECK_RATIO).
    image[side // 2 - 20 : side // 2 + 20, 12:16] = 0
    return png(Image.fromarray(image))


def block_noise(side: int = 1024, block: int = 8, seed: int = 0) -> bytes:
    """Random black and white blocks: ink everywhere, thousands of separate marks."""
    cells = np.random.default_rng(seed).integers(0, 2, (side // block, side // block), dtype=np.uint8) * 255
    return png(Image.fromarray(np.kron(cells, np.ones((block, block), dtype=np.uint8))))


def giant16(side: int = 5000) -> bytes:
    """A 16-bit grey PNG of side x side pixels, black with one white bar: about 51 KB for 25 megapixels."""
    values = np.zeros((side, side), dtype=np.uint16)
    values[2 * side // 5 : 3 * side // 5, side // 2 - side // 50 : side // 2 + side // 50] = 65535
    return png(Image.fromarray(values))


def photo(side: int = 5000) -> bytes:
    """A maximal 25-megapixel colour photo (JPEG): a 7 in dark ink on lit paper, with sensor noise."""
    small = Image.new("RGB", (side // 10, side // 10), (225, 220, 205))
    ImageDraw.Draw(small).line([(140, 120), (360, 120), (220, 400)], fill=(40, 40, 60), width=28)
    image = small.resize((side, side), Image.Resampling.BILINEAR)
    noise = np.random.default_rng(0).integers(-6, 7, (side, side, 1), dtype=np.int16)
    image = Image.fromarray(np.clip(np.asarray(image, dtype=np.int16) + noise, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


# --- server measurements -----------------------------------------------------------------------


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


class Probe:
    """A client sending the page's kind of request every `every` seconds; slowest answer and failures."""

    def __init__(self, base: str, every: float = 0.25) -> None:
        self.base, self.every = base, every
        self.latencies: list[float] = []
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        body = {"file": ("d.png", canvas_png(), "image/png")}
        with httpx.Client(base_url=self.base, timeout=30) as http:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    ok = http.post("/api/predict", files=body).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.latencies.append(time.perf_counter() - started)
                self.failures += not ok
                self._stop.wait(self.every)

    def reset(self) -> None:
        self.latencies, self.failures = [], 0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=35)


@dataclass
class Server:
    proc: object
    base: str
    port: int
    probe: Probe


def start(tmp: Path) -> Server:
    port = free_port()
    proc, log = start_server(ServerSpec(OURS, extra_args=("--body-timeout", str(BODY_TIMEOUT_S))), port, tmp)
    base = f"http://127.0.0.1:{port}"
    _wait_healthy(base, proc, log)
    return Server(proc, base, port, Probe(base))


def stop(server: Server) -> None:
    server.probe.stop()
    stop_server(server.proc)


def measure(server: Server, action: Callable[[Server], str]) -> dict:
    pid = server.proc.pid
    time.sleep(0.5)  # the probe's last request done
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
    rss_before, cpu_before = _status_kib(pid, "VmRSS"), tree_cpu_seconds(pid)
    server.probe.reset()
    started = time.perf_counter()
    status = action(server)
    wall = time.perf_counter() - started
    time.sleep(0.3)  # work the server goes on with after answering counts too
    latencies = server.probe.latencies or [float("nan")]
    return {"status": status, "wall_s": wall, "server_cpu_s": tree_cpu_seconds(pid) - cpu_before,
            "rss_growth_mib": (_status_kib(pid, "VmHWM") - rss_before) / 1024,
            "probe_max_ms": 1000 * max(latencies), "probe_requests": len(server.probe.latencies),
            "probe_failures": server.probe.failures}  # fmt: skip


# --- cases -------------------------------------------------------------------------------------


def post(path: str, files: list, cap: float) -> Callable[[Server], str]:
    def send(server: Server) -> str:
        try:
            response = httpx.post(server.base + path, files=files, timeout=cap)
        except httpx.TimeoutException:
            return f"no answer in {cap:.0f} s"
        return str(response.status_code)

    return send


def chunked_oversize(total_mb: int = 300) -> Callable[[Server], str]:
    """A multipart file part of `total_mb` MB sent chunked (no Content-Length); MB the client got out."""

    def send(server: Server) -> str:
        head = (b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                b"Content-Type: multipart/form-data; boundary=B\r\n\r\n")  # fmt: skip
        part = b'--B\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\n\r\n'
        chunk = b"\x89" * 65536
        framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
        sent, answer = 0, b""
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(head + b"%x\r\n%s\r\n" % (len(part), part))
            try:
                while sent < total_mb * 1_000_000 and not select.select([sock], [], [], 0)[0]:
                    sock.sendall(framed)  # blocks (up to the timeout) once the server stops reading
                    sent += len(chunk)
                answer = sock.recv(200)
            except OSError:  # the server closed the connection
                with contextlib.suppress(OSError):
                    answer = sock.recv(200)
        status = answer.split(b" ")[1].decode() if answer.startswith(b"HTTP/") else "closed"
        return f"{status} after {sent / 1e6:.1f} MB sent"

    return send


def slow_headers(connections: int = 50, seconds: float = 10.0) -> Callable[[Server], str]:
    """`connections` clients each sending a request's headers one byte a second."""

    def send(server: Server) -> str:
        socks = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(connections)]
        for sock in socks:
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for sock in socks:
                try:
                    sock.sendall(b"a")
                except OSError:
                    pass
            time.sleep(1.0)
        open_ = 0
        for sock in socks:
            sock.setblocking(False)
            try:
                open_ += sock.recv(1) != b""
            except BlockingIOError:
                open_ += 1  # nothing to read and not closed
            except OSError:
                pass
            sock.close()
        return f"{open_} of {connections} still open after {seconds:.0f} s"

    return send


def slow_body(server: Server) -> str:
    """Headers for a 100 kB body, 10 bytes of it, then nothing."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=BODY_TIMEOUT_S + 10) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000\r\n\r\n" + b'{"image": ')  # fmt: skip
        try:
            answer = sock.recv(200)
        except TimeoutError:
            return "no answer"
    return f"{answer.split(b' ')[1].decode()} after {time.monotonic() - started:.1f} s"


def cases(cap: float) -> dict[str, tuple[str, Callable[[Server], str]]]:
    """name -> (what it is, the action)."""
    g16, small16, canvas, noise = giant16(), giant16(600), canvas_png(), block_noise()

    def one(path: str, data: bytes, name: str = "x.png") -> Callable[[Server], str]:
        return post(path, [("file", (name, data))], cap)

    def batch(data: bytes, count: int = 64) -> Callable[[Server], str]:
        return post("/api/predict/batch", [("files", ("x.png", data))] * count, cap)

    return {
        "block-noise-predict": ("1024x1024 random 8x8 blocks, /api/predict", one("/api/predict", noise)),
        "block-noise-read": ("the same, /api/read", one("/api/read", noise)),
        "giant16": (f"16-bit 5000x5000 PNG ({len(g16) // 1000} KB), /api/predict", one("/api/predict", g16)),
        "giant16-batch-64": ("64 of those in one /api/predict/batch", batch(g16)),
        "small16-batch-64": ("64 16-bit 600x600 PNGs (23 megapixels in all), one batch", batch(small16)),
        "canvas-batch-64": ("64 canvas drawings (280x280), one batch", batch(canvas)),
        "photo-25mp": ("a maximal 25-megapixel JPEG photo, /api/predict", one("/api/predict", photo(), "p.jpg")),
        "chunked-oversize": ("a 300 MB multipart file part, chunked, /api/predict", chunked_oversize()),
        "slow-body": (f"10 bytes of a 100 kB body, then nothing (--body-timeout {BODY_TIMEOUT_S:g})", slow_body),
        "slow-headers": ("50 connections sending headers a byte a second for 10 s", slow_headers()),
        **{f"specks-{count}": (f"{count:,} 3x3 specks and a short bar, 1000x1000, /api/read",
                               one("/api/read", specks(count))) for count in (100, 400, 900, 10_000)},
    }  # fmt: skip


def run(args: argparse.Namespace) -> dict:
    chosen = cases(args.cap)
    if args.only:
        chosen = {name: case for name, case in chosen.items() if any(word in name for word in args.only)}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = start(Path(tmp))
        try:
            for name, (what, action) in chosen.items():
                print(f"== {name}: {what}", flush=True)
                result = {"what": what, **measure(server, action)}
                results[name] = result
                print(f"   {result['status']}, {result['server_cpu_s']:.2f} s CPU, +{result['rss_growth_mib']:.0f} MiB, "
                      f"probe max {result['probe_max_ms']:.0f} ms ({result['probe_failures']} failed)", flush=True)
                if result["status"].startswith("no answer"):
                    stop(server)  # still working on it: the next case gets a fresh server
                    server = start(Path(tmp))
        finally:
            stop(server)
    return {"machine": machine(), "revision": _revision(), "cap_s": args.cap, "body_timeout_s": BODY_TIMEOUT_S,
            "results": results}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=20.0, help="seconds to wait for an answer")
    parser.add_argument("--only", nargs="+", metavar="WORD", help="cases whose name contains one of these")
    parser.add_argument("--out", default="adversarial.json")
    args = parser.parse_args()
    print(f"wrote {save_json(args.out, run(args))}")


if __name__ == "__main__":
    main()
