"""Soak: a long, bounded run of mixed requests against one real server; memory must level off.

One `digitrec serve` process with history on (a fresh SQLite file) gets a fixed
number of requests from a few concurrent clients, cycling through what the page
and API clients send: canvas PNG uploads, JSON data URLs, multi-digit reads,
history pages, the seed-compatible /predict, and blank canvases (which must be
answered 422). Any other status, or a dropped connection, is an error. The RSS
of the server's process tree is sampled as it goes; growth is measured from the
end of the warm-up (the first tenth of the requests) to the largest later sample.

    python benchmarks/soak.py                                  # 20,000 requests
    python benchmarks/soak.py --requests 4000 --max-growth-mib 25 --json soak.json   # as the fault test runs it

Exit status 1 when there were errors or the growth exceeded --max-growth-mib.
"""

from __future__ import annotations

import argparse
import base64
import json
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from _common import machine, save_json
from http_load import OURS, ServerSpec, free_port, start_server, stop_server, tree_rss_mib
from synth import canvas_set, line_set

from digitrec.imaging import encode_png


@dataclass(frozen=True)
class Call:
    """One kind of request and the status it must get."""

    name: str
    method: str
    path: str
    expected: int
    files: dict | None = None
    json_body: dict | None = None
    content: bytes | None = None


def request_mix() -> list[Call]:
    canvases = canvas_set(n=8, seed=7)
    line = line_set(n=1, seed=7)[0]
    blank = encode_png(np.full((280, 280), 255, dtype=np.uint8))
    url = "data:image/png;base64," + base64.b64encode(canvases[1].data).decode()
    calls = [Call("predict-upload", "POST", "/api/predict", 200, files={"file": ("d.png", c.data)}) for c in canvases]
    return calls + [
        Call("predict-data-url", "POST", "/api/predict", 200, json_body={"image": url}),
        Call("read-line", "POST", "/api/read", 200, files={"file": ("line.png", line.data)}),
        Call("history-page", "GET", "/api/history?limit=20", 200),
        Call("seed-predict-text", "POST", "/predict", 200, content=url.encode()),
        Call("blank-canvas", "POST", "/api/predict", 422, files={"file": ("blank.png", blank)}),
    ]


def soak(requests: int, clients: int, sample_every: int) -> dict:
    calls = request_mix()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc, log = start_server(ServerSpec(OURS), port, Path(tmp))
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base, proc, log)
            return _drive(base, proc.pid, calls, requests, clients, sample_every)
        finally:
            stop_server(proc)


def _wait_healthy(base: str, proc, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"the server did not answer within {timeout:.0f} s")


def _drive(base: str, pid: int, calls: list[Call], requests: int, clients: int, sample_every: int) -> dict:
    lock = threading.Lock()
    warmup = requests // 10
    state = {"sent": 0, "errors": 0}
    errors: list[str] = []
    samples: list[tuple[int, float]] = [(0, tree_rss_mib(pid))]

    def next_index() -> int | None:
        with lock:
            if state["sent"] >= requests:
                return None
            state["sent"] += 1
            if state["sent"] % sample_every == 0 or state["sent"] == warmup:
                samples.append((state["sent"], tree_rss_mib(pid)))
            return state["sent"] - 1

    def client() -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            while (index := next_index()) is not None:
                call = calls[index % len(calls)]
                try:
                    status = http.request(call.method, call.path, files=call.files, json=call.json_body,
                                          content=call.content).status_code  # fmt: skip
                except httpx.HTTPError as exc:
                    status = f"{type(exc).__name__}"
                if status != call.expected:
                    with lock:
                        state["errors"] += 1
                        if len(errors) < 20:
                            errors.append(f"request {index} {call.name}: got {status}, expected {call.expected}")

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    samples.append((requests, tree_rss_mib(pid)))

    warm = [rss for sent, rss in samples if sent <= warmup][-1]
    later = [rss for sent, rss in samples if sent > warmup]
    return {
        "requests": requests, "clients": clients, "seconds": elapsed, "requests_per_s": requests / elapsed,
        "errors": state["errors"], "error_examples": errors, "rss_samples_mib": samples,
        "rss_after_warmup_mib": warm, "rss_peak_mib": max(later), "rss_final_mib": samples[-1][1],
        "growth_mib": max(later) - warm, "mix": [call.name for call in calls],
    }  # fmt: skip


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sent, rss = zip(*result["rss_samples_mib"], strict=True)
    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=110)
    ax.plot(sent, rss, marker=".")
    ax.axvline(result["requests"] // 10, color="grey", linestyle=":", label="end of warm-up")
    ax.set_xlabel("requests answered")
    ax.set_ylabel("server RSS (MiB)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Soak: {result['requests']:,} mixed requests, {result['errors']} errors")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--sample-every", type=int, default=250, help="RSS sample interval, in requests")
    parser.add_argument("--max-growth-mib", type=float, default=25.0,
                        help="RSS growth after warm-up that counts as a failure")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the result here (default: only benchmarks/out)")
    args = parser.parse_args()

    result = soak(args.requests, args.clients, args.sample_every)
    result["max_growth_mib"] = args.max_growth_mib
    result["machine"] = machine()
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    else:
        save_json("soak.json", result)  # run_all.py --report plots it into benchmarks/figures/
    print(f"{result['requests']} requests in {result['seconds']:.0f} s ({result['requests_per_s']:.0f}/s), "
          f"{result['errors']} errors; RSS {result['rss_after_warmup_mib']:.0f} MiB after warm-up, "
          f"peak {result['rss_peak_mib']:.0f}, final {result['rss_final_mib']:.0f} "
          f"(growth {result['growth_mib']:.1f} MiB, bound {args.max_growth_mib:.0f})")  # fmt: skip
    for line in result["error_examples"]:
        print("  ", line)
    if result["errors"] or result["growth_mib"] > args.max_growth_mib:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
