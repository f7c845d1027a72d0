"""Where one request's CPU goes in our service, and the throughput that leaves one process.

All of a request's work but the model call holds Python's GIL, so one server
process does that work one request at a time however many cores it has: the
sum of those parts bounds its requests per second from above. Measured here,
for the image http_load.py sends (a drawing canvas shrunk to 28x28):

- the framework floor: `benchmarks/bare_server.py` (our web stack, no work)
  under http_load.py's closed loop at concurrency 8, as server CPU per request;
- our own work, in process, in a request's order, each part's median over
  `--runs` requests: decode and preprocess (with the history thumbnail), the
  model call, the PNG of the preprocessed image, the history insert (one
  transaction per 8 requests, as the writer thread batches them at 8 clients,
  divided by 8), and the JSON answer.

The ceiling is 1000 / (framework + work under the GIL) requests/s. It is
generous: the model call counts as free (ONNX Runtime releases the GIL), and
thread hand-offs and a busy server's colder caches are left out. Beside it,
what the goals need: twice the reference server's throughput at 8 (read from
benchmarks/out/http_load.json when it exists) and, for a p99 under 50 ms at 32
closed-loop clients, more than 32 / 0.050 = 640 requests/s (Little's law: the
mean latency is clients / throughput, and a first-come server keeps each
request's latency near the mean). Last, `digitrec serve` itself under the same
load, for what the parts add up to in a real server.

    python benchmarks/http_budget.py                   # about 1 minute
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import load_json, machine, save_json
from http_load import OURS, ServerSpec, canvas_28_png, closed_loop, free_port, measure, multipart, stop_server

from digitrec.api.schemas import PredictionOut
from digitrec.backends import ModelInfo
from digitrec.history import HistoryStore, NewPrediction
from digitrec.imaging import decode_image, encode_png, thumbnail_png
from digitrec.inference import Recognizer, RecognizerConfig
from digitrec.preprocess import to_mnist_candidates
from digitrec.recording import Recorded, digit_record, record_many

HERE = Path(__file__).resolve().parent
P99_GOAL_S, CLIENTS_AT_P99 = 0.050, 32
HISTORY_BATCH = 8  # requests per history transaction at 8 clients
HISTORY = f"history insert (one transaction per {HISTORY_BATCH} requests, a share)"


def framework_floor(png: bytes, duration: float, warmup: float) -> dict:
    """bare_server.py under the closed loop at concurrency 8."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(HERE / "bare_server.py"), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        _wait_for(port, proc)
        return asyncio.run(closed_loop(port, ServerSpec("bare"), multipart(png), 8, warmup, duration, proc.pid))
    finally:
        stop_server(proc)


def our_server(png: bytes, duration: float, warmup: float) -> dict:
    """`digitrec serve` (history on) under the same load: what the parts add up to in practice."""
    settings = argparse.Namespace(levels=[8], duration=duration, warmup=warmup)
    with tempfile.TemporaryDirectory(prefix="http_budget_") as tmp:
        return asyncio.run(measure(ServerSpec(OURS), multipart(png), settings, Path(tmp)))["levels"][0]


def _wait_for(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bare_server.py exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("bare_server.py did not start")


def our_work(png: bytes, runs: int) -> dict[str, float]:
    """Median milliseconds of each part of one request's work, run in the server's order."""
    recognizer = Recognizer(RecognizerConfig(threads=1))
    info: ModelInfo = recognizer.info
    parts: dict[str, list[float]] = {"decode + preprocess + thumbnail": [], "model call": [],
                                     "preprocessed PNG": [], HISTORY: [], "JSON answer": []}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="http_budget_") as tmp, HistoryStore(f"sqlite:///{tmp}/h.sqlite3") as store:
        waiting: list[NewPrediction] = []
        for i in range(runs + 50):  # the first 50 warm up
            t0 = time.perf_counter()
            gray = decode_image(png, recognizer.config.limits)
            readings = to_mnist_candidates(gray, recognizer.config.preprocess)
            thumbnail = thumbnail_png(gray)
            t1 = time.perf_counter()
            prediction = recognizer.predict_candidates([readings])[0]
            t2 = time.perf_counter()
            preprocessed_png = encode_png(prediction.image)
            t3 = time.perf_counter()
            waiting.append(digit_record("api", thumbnail, prediction, info, preprocessed_png))
            t4 = time.perf_counter()
            PredictionOut.of(prediction, info, 1.0, Recorded(i, True), preprocessed_png).model_dump_json()
            t5 = time.perf_counter()
            if len(waiting) == HISTORY_BATCH:  # the answering thread's transaction, a share per request
                started = time.perf_counter()
                record_many(store, waiting)
                insert_ms, waiting = 1000 * (time.perf_counter() - started) / HISTORY_BATCH, []
                if i >= 50:
                    parts[HISTORY].append(insert_ms)
            if i >= 50:
                for name, seconds in (("decode + preprocess + thumbnail", t1 - t0), ("model call", t2 - t1),
                                      ("preprocessed PNG", t3 - t2), ("JSON answer", t5 - t4)):  # fmt: skip
                    parts[name].append(1000 * seconds)
    return {name: statistics.median(values) for name, values in parts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="requests' work timed in process")
    parser.add_argument("--duration", type=float, default=10.0, help="counted seconds of load on bare_server.py")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--out", default="http_budget.json", help="file name under benchmarks/out/")
    args = parser.parse_args()
    png, _label = canvas_28_png()
    floor = framework_floor(png, args.duration, args.warmup)
    work = our_work(png, args.runs)
    served = our_server(png, args.duration, args.warmup)
    under_gil = floor["server_cpu_ms_per_request"] + sum(ms for name, ms in work.items() if name != "model call")
    ceiling = 1000 / under_gil
    needed = {"p99_c32": CLIENTS_AT_P99 / P99_GOAL_S}
    http_load = load_json("http_load.json")
    if http_load is not None:
        needed["throughput_c8"] = 2 * http_load["results"]["reference"]["levels"]["8"]["throughput_rps"]
    print(f"framework floor (bare_server.py at 8 clients): {floor['server_cpu_ms_per_request']:.2f} ms CPU/request, "
          f"{floor['throughput_rps']:.0f} req/s")  # fmt: skip
    for name, ms in work.items():
        print(f"  {name:<34}{ms:7.3f} ms")
    print(f"under the GIL per request: {under_gil:.2f} ms -> at most {ceiling:.0f} req/s per process")
    print(f"digitrec serve at 8 clients: {served['server_cpu_ms_per_request']:.2f} ms CPU/request, "
          f"{served['throughput_rps']:.0f} req/s")  # fmt: skip
    for goal, rate in needed.items():
        print(f"  the {goal} goal needs more than {rate:.0f} req/s")
    data = {"machine": machine(), "settings": vars(args), "framework_floor": floor, "work_ms": work,
            "under_gil_ms": under_gil, "ceiling_rps": ceiling, "needed_rps": needed, "served": served}  # fmt: skip
    print("wrote", save_json(args.out, data))


if __name__ == "__main__":
    main()
