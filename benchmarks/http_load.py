"""HTTP load: our service against the reference server, closed loop on 127.0.0.1.

Each server runs as its own subprocess, one at a time; this script is the load
generator: asyncio streams over HTTP/1.1 keep-alive, one connection per worker,
each request's bytes built once. (An httpx client spent about 3.5 ms of CPU per
request, a third of a core at 100 req/s that the servers then lacked on this
2-core machine; this one spends a fraction of that, see client_cpu_ms_per_request
in the output.) At each concurrency level N
workers each send the next request as soon as the previous answer arrives, for
a fixed time after an uncounted warm-up. Both servers get the same body, a
28x28 PNG: by default a drawing canvas shrunk to 28x28, as the reference
systems' front ends send it (black ink on white, the digit wherever it was
drawn, so our preprocessing does its whole work); with --image mnist, an MNIST
test digit (white on black, already laid out as MNIST: our preprocessing passes
it through). Server memory is the RSS of the whole process
tree, sampled from /proc during the load. Repeats alternate the servers' order
so both see the same machine load; figures are medians over the repeats.

    python benchmarks/http_load.py                        # 3 repeats, levels 1 8 32, 10 s each
    python benchmarks/http_load.py --image mnist --out http_load_mnist.json
    python benchmarks/http_load.py --duration 2 --warmup 1 --repeats 1     # smoke test
    python benchmarks/http_load.py --also-workers 2 --also-reference-threads 1    # extra configurations
    python benchmarks/http_load.py --also-concurrency 1 40 --repeats 1 --out http_load_concurrency.json
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from _common import machine, median, save_json
from PIL import Image

from digitrec.data import load_dataset

ROOT = Path(__file__).resolve().parent.parent
OURS, REFERENCE = "digitrec", "reference"


@dataclass(frozen=True)
class ServerSpec:
    name: str
    extra_args: tuple[str, ...] = ()  # only for our server: `--workers 2` and the like
    env: tuple[tuple[str, str], ...] = ()  # e.g. OMP_NUM_THREADS for the reference

    @property
    def predict_path(self) -> str:
        return "/predict" if self.name == REFERENCE else "/api/predict"

    def command(self, port: int, tmp: Path) -> list[str]:
        if self.name == REFERENCE:
            return [sys.executable, str(ROOT / "benchmarks" / "reference_server.py"), str(port)]
        return [sys.executable, "-m", "digitrec", "serve", "--port", str(port), "--database-url",
                f"sqlite:///{tmp}/history.sqlite3", "--log-level", "warning", *self.extra_args]  # fmt: skip

    @property
    def label(self) -> str:
        return " ".join([self.name, *self.extra_args, *(f"{k}={v}" for k, v in self.env)])


def canvas_28_png() -> tuple[bytes, int]:
    """A "7" drawn on a 280x280 white canvas (latency.py's), shrunk to 28x28 as a front end would; label 7."""
    from latency import canvas_png  # here, not at the top: latency.py imports digit_png from this module

    canvas = Image.open(io.BytesIO(canvas_png())).convert("L").resize((28, 28), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue(), 7


IMAGES = {"canvas": "a 280x280 canvas drawing of a 7 shrunk to 28x28, black on white",
          "mnist": "MNIST test[0] (a 7), 28x28 white on black"}  # fmt: skip


def digit_png() -> tuple[bytes, int]:
    """The first MNIST test image (white on black, 28x28) as PNG bytes, and its true label."""
    test = load_dataset("mnist").test
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(test.images[0], dtype=np.uint8), mode="L").save(buffer, format="PNG")
    return buffer.getvalue(), int(test.labels[0])


def multipart(png: bytes) -> tuple[bytes, str]:
    """The multipart body and its Content-Type, built once so the load generator spends no CPU on it."""
    request = httpx.Request("POST", "http://x/", files={"file": ("digit.png", png, "image/png")})
    return request.read(), request.headers["content-type"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- server processes and their memory ---------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """pid and every process below it, from /proc/<pid>/task/*/children."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                stack.extend(int(c) for c in children.read_text().split())
            except OSError:
                pass  # the thread or process ended while we looked
    return found


def tree_rss_mib(pid: int) -> float:
    total_kib = 0
    for member in descendants(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            pass
    return total_kib / 1024


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process tree, from /proc/<pid>/stat (fields 14 and 15)."""
    ticks = 0
    for member in descendants(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # after "pid (comm)", field 14 is index 11
        except (OSError, IndexError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def start_server(spec: ServerSpec, port: int, tmp: Path) -> tuple[subprocess.Popen, Path]:
    log_path = tmp / f"{spec.name}-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(spec.command(port, tmp), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, **dict(spec.env)})  # fmt: skip
    return proc, log_path


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM (uvicorn shuts down gracefully), SIGKILL after 10 s; then any stray worker of it."""
    tree = descendants(proc.pid)
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pid in tree[1:]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


async def wait_ready(client: httpx.AsyncClient, spec: ServerSpec, proc: subprocess.Popen, log: Path,
                     request: tuple[bytes, str], timeout: float = 90.0) -> dict:  # fmt: skip
    """Poll until the server answers; returns its answer to the benchmark image."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{spec.label} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if spec.name != REFERENCE and (await client.get("/api/health")).status_code != 200:
                raise httpx.TransportError("not healthy yet")
            answer = await post(client, spec, request)
            if answer.status_code == 200:
                return answer.json()
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.25)
    raise SystemExit(f"{spec.label} did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


async def post(client: httpx.AsyncClient, spec: ServerSpec, request: tuple[bytes, str]) -> httpx.Response:
    body, content_type = request
    return await client.post(spec.predict_path, content=body, headers={"content-type": content_type})


# --- the closed loop ---------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection that sends a prepared request and reads the status.

    Just enough HTTP for a benchmark against servers we start ourselves: the
    answer must carry Content-Length (uvicorn's do), and any failure closes the
    connection so that the next request opens a fresh one.
    """

    def __init__(self, port: int, request: bytes) -> None:
        self.port, self.request = port, request
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self) -> int:
        try:
            if self.streams is None:
                self.streams = await asyncio.open_connection("127.0.0.1", self.port)
            reader, writer = self.streams
            writer.write(self.request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            return int(head.split(b" ", 2)[1])
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError):
            self.close()
            return 0

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def raw_request(spec: ServerSpec, port: int, request: tuple[bytes, str]) -> bytes:
    body, content_type = request
    head = (f"POST {spec.predict_path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")  # fmt: skip
    return head.encode("ascii") + body


async def closed_loop(port: int, spec: ServerSpec, request: tuple[bytes, str], concurrency: int,
                      warmup: float, duration: float, server_pid: int) -> dict:  # fmt: skip
    """N workers back to back; counts requests started after the warm-up and before the end.

    Also the CPU time per request of the server tree and of this load generator over the
    counted window: on a small shared machine it says more than wall-clock alone.
    """
    prepared = raw_request(spec, port, request)
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    counted_from, end = start + warmup, start + warmup + duration
    last_done = counted_from

    async def worker() -> None:
        nonlocal errors, last_done
        connection = Connection(port, prepared)
        try:
            while (sent := time.perf_counter()) < end:
                status = await connection.send()
                if status == 0:
                    await asyncio.sleep(0.01)  # a refused connection would otherwise spin
                ok = status == 200
                done = time.perf_counter()
                if sent >= counted_from:
                    if ok:
                        latencies.append(done - sent)
                    else:
                        errors += 1
                    last_done = max(last_done, done)
        finally:
            connection.close()

    cpu_at_start: list[float] = []

    async def mark_counted_from() -> None:
        await asyncio.sleep(warmup)
        cpu_at_start.extend([tree_cpu_seconds(server_pid), time.process_time()])

    await asyncio.gather(mark_counted_from(), *(worker() for _ in range(concurrency)))
    server_cpu = tree_cpu_seconds(server_pid) - cpu_at_start[0]
    client_cpu = time.process_time() - cpu_at_start[1]
    per_request = 1000 / max(len(latencies), 1)
    ms = np.array(latencies) * 1000 if latencies else np.array([float("nan")])
    return {"concurrency": concurrency, "requests": len(latencies), "errors": errors,
            "throughput_rps": len(latencies) / (last_done - counted_from),
            "p50_ms": float(np.percentile(ms, 50)), "p90_ms": float(np.percentile(ms, 90)),
            "p99_ms": float(np.percentile(ms, 99)), "server_cpu_ms_per_request": server_cpu * per_request,
            "client_cpu_ms_per_request": client_cpu * per_request}  # fmt: skip


async def sample_rss(pid: int, samples: list[float], every: float = 0.5) -> None:
    while True:
        samples.append(tree_rss_mib(pid))
        await asyncio.sleep(every)


async def measure(spec: ServerSpec, request: tuple[bytes, str], args: argparse.Namespace, tmp: Path) -> dict:
    """Start one server, check its answer, run every level, stop it whatever happens."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    proc, log = start_server(spec, port, tmp)
    samples: list[float] = []
    sampler = None
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=10.0) as client:
            answer = await wait_ready(client, spec, proc, log, request)
        sampler = asyncio.create_task(sample_rss(proc.pid, samples))
        idle_rss = tree_rss_mib(proc.pid)
        levels = [await closed_loop(port, spec, request, n, args.warmup, args.duration, proc.pid)
                  for n in args.levels]
        return {"answer": answer.get("predicted_digit", answer.get("digit")), "levels": levels,
                "rss_idle_mib": idle_rss, "rss_peak_mib": max(samples),
                "rss_final_mib": tree_rss_mib(proc.pid)}  # fmt: skip
    finally:
        if sampler is not None:
            sampler.cancel()
        stop_server(proc)


# --- summary -----------------------------------------------------------------------------------


def summarise(raw: list[dict], levels: list[int]) -> dict:
    """Medians over the repeats, per level, and of the memory figures."""
    per_level = {}
    for i, n in enumerate(levels):
        runs = [r["levels"][i] for r in raw]
        keys = ("throughput_rps", "p50_ms", "p90_ms", "p99_ms", "requests",
                "server_cpu_ms_per_request", "client_cpu_ms_per_request")  # fmt: skip
        per_level[str(n)] = {key: median([run[key] for run in runs]) for key in keys}
        # Errors are totalled, not a median: any error counts.
        per_level[str(n)]["errors"] = sum(run["errors"] for run in runs)
    rss = {key: median([r[key] for r in raw]) for key in ("rss_idle_mib", "rss_peak_mib", "rss_final_mib")}
    return {"levels": per_level, **rss}


def goals(results: dict, levels: list[int]) -> dict:
    ours, ref = results[OURS], results[REFERENCE]
    out: dict = {"our_errors": sum(level["errors"] for level in ours["levels"].values()),
                 "rss_peak_ratio": ours["rss_peak_mib"] / ref["rss_peak_mib"]}  # fmt: skip
    if 8 in levels:
        rates = [summary["levels"]["8"]["throughput_rps"] for summary in (ours, ref)]
        out["throughput_ratio_c8"] = rates[0] / rates[1]
    if 32 in levels:
        out["our_p99_ms_c32"] = ours["levels"]["32"]["p99_ms"]
    return out


def print_table(results: dict, ratios: dict) -> None:
    print(f"\n{'server':<26}{'conc':>5}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'errors':>7}"
          f"{'srv cpu ms/req':>16}")  # fmt: skip
    for label, summary in results.items():
        for n, level in summary["levels"].items():
            print(f"{label:<26}{n:>5}{level['throughput_rps']:>9.0f}{level['p50_ms']:>9.1f}"
                  f"{level['p90_ms']:>9.1f}{level['p99_ms']:>9.1f}{level['errors']:>7}"
                  f"{level['server_cpu_ms_per_request']:>16.2f}")  # fmt: skip
        print(f"{label:<26} RSS MiB: idle {summary['rss_idle_mib']:.0f}, peak {summary['rss_peak_mib']:.0f}, "
              f"final {summary['rss_final_mib']:.0f}")  # fmt: skip
    print("\ngoals:", {k: round(v, 3) for k, v in ratios.items()})
    print("  throughput ratio at 8 >= 2; our p99 at 32 < 50 ms; our errors 0; peak RSS ratio <= 0.5")


def run(args: argparse.Namespace) -> dict:
    png, label = canvas_28_png() if args.image == "canvas" else digit_png()
    request = multipart(png)
    specs = [ServerSpec(OURS), ServerSpec(REFERENCE)]
    specs += [ServerSpec(OURS, ("--workers", str(w))) for w in args.also_workers]
    specs += [ServerSpec(OURS, ("--concurrency", str(c))) for c in args.also_concurrency]
    specs += [ServerSpec(REFERENCE, env=(("OMP_NUM_THREADS", str(t)),)) for t in args.also_reference_threads]
    raw: dict[str, list[dict]] = {spec.label: [] for spec in specs}
    with tempfile.TemporaryDirectory(prefix="http_load_") as tmp:
        for repeat in range(args.repeats):
            order = specs[:2] if repeat % 2 == 0 else specs[1::-1]  # alternate who goes first
            for spec in [*order, *specs[2:]]:
                print(f"repeat {repeat + 1}/{args.repeats}: {spec.label}", flush=True)
                raw[spec.label].append(asyncio.run(measure(spec, request, args, Path(tmp))))
    answers = {name: runs[0]["answer"] for name, runs in raw.items()}
    if len(set(answers.values())) != 1:
        print(f"warning: the servers disagree on the benchmark image: {answers}", flush=True)
    results = {name: summarise(runs, args.levels) for name, runs in raw.items()}
    ratios = goals(results, args.levels)
    print_table(results, ratios)
    return {"machine": machine(), "settings": {**vars(args), "image": IMAGES[args.image], "image_kind": args.image,
            "image_bytes": len(png), "true_label": label, "answers": answers},
            "results": results, "goals": ratios, "raw": raw}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 8, 32], help="concurrency levels")
    parser.add_argument("--duration", type=float, default=10.0, help="counted seconds per level")
    parser.add_argument("--warmup", type=float, default=2.0, help="uncounted seconds before each level")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--also-workers", type=int, nargs="*", default=[],
                        help="also measure our server with `--workers N` (reported apart)")
    parser.add_argument("--also-concurrency", type=int, nargs="*", default=[],
                        help="also measure our server with `--concurrency N` (reported apart)")
    parser.add_argument("--also-reference-threads", type=int, nargs="*", default=[],
                        help="also measure the reference with OMP_NUM_THREADS=N (reported apart)")
    parser.add_argument("--image", choices=sorted(IMAGES), default="canvas",
                        help="the 28x28 PNG both servers get (default: a shrunk canvas drawing)")
    parser.add_argument("--out", default="http_load.json", help="file name under benchmarks/out/")
    args = parser.parse_args()
    data = run(args)
    print("wrote", save_json(args.out, data))


if __name__ == "__main__":
    main()
