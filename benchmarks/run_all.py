"""Run every benchmark and write BENCHMARKS.md from their results (`make bench`).

    python benchmarks/run_all.py              # run all, then write the report
    python benchmarks/run_all.py --only latency.py phone_photos.py   # run these, then write the report
    python benchmarks/run_all.py --report     # only rewrite BENCHMARKS.md from benchmarks/out/*.json

A section whose JSON result is not in benchmarks/out (a fresh clone, or a
script not rerun) keeps its text from the BENCHMARKS.md already there, so
rerunning one benchmark does not erase the others' figures.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from _common import load_json

from digitrec.evaluate import accuracy_interval
from digitrec.inference import NOT_DIGIT_BELOW

HERE = Path(__file__).resolve().parent
REPORT = HERE.parent / "BENCHMARKS.md"
SCRIPTS = (
    ("time_to_99.py", "--repeats", "5"),
    ("zoo_accuracy.py",),
    ("recognition.py",),
    ("phone_photos.py",),
    ("real_inputs.py",),
    ("latency.py",),
    ("http_load.py",),
    ("http_load.py", "--image", "mnist", "--out", "http_load_mnist.json"),
    ("http_budget.py",),
    ("http_load.py", "--also-workers", "2", "--levels", "8", "32", "--out", "http_load_workers.json"),
    ("soak.py",),
    ("adversarial.py",),
)
FIGURES = HERE / "figures"  # pictures for BENCHMARKS.md, drawn from the JSON results


def run_benchmarks(only: set[str] | None = None) -> None:
    for script, *args in SCRIPTS:
        if only is not None and script not in only:
            continue
        print(f"== {script} {' '.join(args)}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *args], check=True)


def machine_line(data: dict) -> str:
    m = data["machine"]
    line = f"{m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch threads, Python {m['python']}, torch {m['torch']}"
    return f"{line}; measured {m['date']}" if "date" in m else line


def time_to_99_section(data: dict | None) -> list[str]:
    lines = ["## Time to 99%", "", "Command: `python benchmarks/time_to_99.py --repeats 5`", ""]
    if data is None:
        return lines + ["_not run yet_", ""]
    lines += [
        f"Machine: {machine_line(data)}.",
        "",
        "The two presets run alternately in one process, so both see the same machine load; "
        "figures are medians over the repeats (seeds 0..n-1). Time is the trainer's own "
        "wall-clock time of the optimisation loop, validation checks included, data loading excluded. "
        "A fast run that never reached 99% validation accuracy counts with its whole training time.",
        "",
        "| recipe | median time (s) | median test accuracy | note |",
        "|---|---:|---:|---|",
        f"| `--preset fast` | {data['fast_median_seconds_to_99']:.1f} | "
        f"{100 * data['fast_median_test_acc']:.2f}% (min {100 * data['fast_min_test_acc']:.2f}%) | "
        f"time until validation accuracy reached 99.0% ({data['fast_reached_99_val']}/{data['repeats']} runs reached it) |",
        f"| `--preset seed-lenet5` | {data['seed_median_seconds']:.1f} | {100 * data['seed_median_test_acc']:.2f}% "
        "| reference recipe: LeNet-5, SGD lr 0.9, batch 256, 5 epochs |",
        "",
        f"Ratio fast / seed: **{data['ratio_fast_over_seed']:.2f}** (goal: under 0.33).",
        "",
    ]
    return lines


def zoo_section(data: dict | None) -> list[str]:
    lines = ["## Model zoo", "", "Command: `python benchmarks/zoo_accuracy.py`", ""]
    if data is None:
        return lines + ["_not run yet_", ""]
    lines += [
        f"Machine: {machine_line(data)}. Test accuracy on the 10,000 MNIST test images, of the "
        "checkpoint with the best validation accuracy (5,000 images held out of training).",
        "",
        "| model | parameters | recipe | training time (s) | test accuracy | source |",
        "|---|---:|---|---:|---:|---|",
    ]
    for row in data["rows"]:
        lines.append(
            f"| `{row['model']}` | {row['parameters']:,} | {row['recipe']} | {row['train_seconds']:.0f} | "
            f"{100 * row['test_acc']:.2f}% | {row['source']} |"
        )
    return lines + [""]


def recognition_section(data: dict | None) -> list[str]:
    lines = ["## Real drawings, photos and digit lines", "", "Command: `python benchmarks/recognition.py`", ""]
    if data is None:
        return lines + ["_not run yet_", ""]
    lines += [
        f"Machine: {machine_line(data)}. Model: `{data['model']}` (version {data['model_version']}).",
        "",
        "Evaluation sets generated deterministically from MNIST **test** digits by `benchmarks/synth.py` "
        "(seeds 0, 1, 2); each sample goes in as encoded bytes (PNG or JPEG), as a user would send it. "
        "*Ours*: decoding, MNIST-style preprocessing, the shipped model on ONNX Runtime. *Naive*: the "
        "reference systems' pipeline (whole image resized to 28x28, inverted if the background is white) "
        "feeding the same model; for lines, every connected blob squashed to 28x28.",
        "",
        "The interval is the 95% Wilson interval of *ours*: what the count says about images "
        "like these beyond this sample (`digitrec.evaluate.accuracy_interval`).",
        "",
        "| set | images | ours | 95% interval | naive | goal |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    goals = {"canvas": "99.0%", "photo": "97.0%", "lines": "95.0% (whole strings)"}
    for name in ("canvas", "photo", "lines"):
        ours, naive = data[name]["ours"], data[name].get("naive")
        naive_text = f"{100 * naive['accuracy']:.1f}%" if naive else "n/a"
        low, high = accuracy_interval(round(ours["accuracy"] * ours["count"]), ours["count"])
        lines.append(
            f"| {name} | {ours['count']} | **{100 * ours['accuracy']:.2f}%** | {100 * low:.1f}-{100 * high:.1f}% "
            f"| {naive_text} | {goals[name]} |"
        )
    lines += ["", "By kind of image (ours / naive):", ""]
    for name in ("canvas", "photo", "lines"):
        parts = []
        for kind, row in data[name]["ours"]["by_kind"].items():
            naive = data[name].get("naive", {}).get("by_kind", {}).get(kind)
            naive_text = f" / {100 * naive['accuracy']:.1f}%" if naive else ""
            parts.append(f"{kind} {100 * row['accuracy']:.2f}%{naive_text} (n={row['count']})")
        lines.append(f"- {name}: " + "; ".join(parts))
    return lines + [""]


REAL_SET_NAMES = {"tight": "tight crops", "lowres": "low-res scans", "ruled": "ruled paper and boxes",
                  "ruled_lines": "digit lines on forms (whole strings)"}  # fmt: skip


def real_inputs_section(data: dict | None) -> list[str]:
    lines = ["## Real inputs beyond the drawing page", "", "Command: `python benchmarks/real_inputs.py`", ""]
    if data is None:
        return lines + ["_not run yet_", ""]
    from real_inputs import plot_coverage

    FIGURES.mkdir(exist_ok=True)
    plot_coverage(data["coverage"], FIGURES / "real_inputs_coverage.png")
    code = data["revision"]["commit"] + (" with uncommitted changes" if data["revision"]["modified"] else "")
    lines += [
        f"Machine: {machine_line(data)}. Model: `{data['model']}` (version {data['model_version']}); code at {code}.",
        "",
        "The inputs of issue 18, generated deterministically from MNIST **test** digits by "
        "`benchmarks/synth_real.py`: *tight crops* (margin 0-3 px, ink on 1-4 edges, sometimes cut; marker strokes "
        "and/or blur; white or grey paper; 28-300 px), *low-res scans* (the digit 8-16 px tall, 8-64 grey levels, "
        "some JPEG, shown as scanned or enlarged x4-x16), one digit on *ruled* notebook paper, squared paper or in "
        "a printed box, and *lines* of 3-8 digits on those papers or in a comb field. *Ours* and *naive* as in the "
        "section above; an image refused as having no digit counts as wrong. ECE: expected calibration error of "
        "the top-1 confidence (15 equal-width bins, refused images left out).",
        "",
        "| set | images | ours | 95% interval | refused | naive | ECE |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in data["sets"].items():
        ours, (low, high) = row["ours"], row["ours"]["interval"]
        ece = f"{100 * row['ece']:.1f}%" if "ece" in row else "n/a"
        lines.append(f"| {REAL_SET_NAMES.get(name, name)} | {ours['count']} | **{100 * ours['accuracy']:.1f}%** | "
                     f"{100 * low:.1f}-{100 * high:.1f}% | {100 * ours['refused']:.1f}% | "
                     f"{100 * row['naive']['accuracy']:.1f}% | {ece} |")  # fmt: skip
    canvas = data["canvas"]
    lines += [f"| clear canvas drawings (reference) | {canvas['count']} | {100 * canvas['accuracy']:.2f}% | | "
              f"{100 * canvas['refused']:.1f}% | | {100 * canvas['ece']:.1f}% |", "",
              f"ECE of the one-digit sets and the canvas pooled: {100 * data['ece_pooled']:.1f}%.", "",
              "By kind of image (ours / naive, share refused):", ""]  # fmt: skip
    for name, row in data["sets"].items():
        naive = row["naive"]["by_kind"]
        lines.append(f"- {name}: " + "; ".join(
            f"{kind} {100 * r['accuracy']:.1f}% / {100 * naive[kind]['accuracy']:.1f}% "
            f"({100 * r['refused']:.0f}% refused, n={r['count']})" for kind, r in row["ours"]["by_kind"].items()))
        if "ours_by_ink_cover" in row:
            lines.append(f"- {name} by ink cover: " + "; ".join(
                f"{group} {100 * r['accuracy']:.1f}% ({100 * r['refused']:.0f}% refused, n={r['count']})"
                for group, r in row["ours_by_ink_cover"].items()))
    return lines + [""] + nondigit_lines(data) + coverage_lines(data)


def nondigit_lines(data: dict) -> list[str]:
    nd, canvas = data["nondigit"], data["canvas"]
    kinds = ", ".join(f"{k.removeprefix('nondigit-')} {100 * (1 - r['flagged']):.0f}%" for k, r in nd["by_kind"].items())
    read_as = ", ".join(f"{digit} ({count})" for digit, count in list(nd["read_as"].items())[:4])
    not_a_digit = f", {100 * canvas['not_a_digit']:.1f}% as not a digit" if canvas["not_a_digit"] is not None else ""
    return [f"Not digits (`nondigit_set`: letters and symbols in DejaVu fonts, hand-drawn capitals, scribbles, "
            f"shapes): **{100 * nd['confident_digit']:.1f}%** of {nd['count']} answered as a confident digit "
            f"({kinds}; {100 * (1 - nd['reserved']['flagged']):.0f}% of the {nd['reserved']['count']} with a font or "
            f"glyph held out from training), most often as {read_as}. Clear canvas drawings "
            f"(`synth.canvas_set`): {100 * canvas['flagged']:.1f}% flagged ({100 * canvas['uncertain']:.1f}% "
            f"uncertain{not_a_digit}, {100 * canvas['refused']:.2f}% refused).", ""]  # fmt: skip


def coverage_lines(data: dict) -> list[str]:
    lines = ["Answering only above a threshold on the not-a-digit score, the two likeliest digits' probabilities "
             f"together (the shipped threshold is {NOT_DIGIT_BELOW:g}; the one-digit sets and the canvas pooled; "
             "refused images are never answered):", "",
             "| threshold | digits answered | accuracy on answered | non-digits turned away |", "|---:|---:|---:|---:|"]  # fmt: skip
    for row in (r for r in data["coverage"] if r["threshold"] in (0.0, 0.3, 0.5, 0.6, 0.7, 0.9, 0.99)):
        accuracy = f"{100 * row['accuracy']:.1f}%" if row["accuracy"] is not None else "n/a"
        lines.append(f"| {row['threshold']:g} | {100 * row['coverage']:.1f}% | {accuracy} | "
                     f"{100 * row['nondigit_flagged']:.1f}% |")  # fmt: skip
    return lines + ["", "![coverage against accuracy](benchmarks/figures/real_inputs_coverage.png)", ""]


# The images of latency.py, in the order of the report.
LATENCY_IMAGES = {  # key in latency.json: (short name, what it is)
    "page_canvas": ("page canvas", "a 7 as the drawing page sends it: drawn and encoded by the page's own "
                    "code in Chromium (anti-aliased edges, 8-bit grey)"),
    "page_canvas_rgba": ("page canvas, RGBA", "the same as canvas.toBlob encodes it: what a browser without "
                         "CompressionStream sends, and what the page sent before"),
    "phone_canvas": ("phone-sized canvas", "the RGBA one at 1080x1080: a phone's 3x screen, which the page "
                     "sent before it capped its PNGs at 280 px"),
    "single_image": ("Pillow canvas", "the same 7 drawn by Pillow (hard edges): the image of earlier runs"),
    "thin_pen": ("thin pen", "that 7 with a 5 px pen instead of the page's 18 px (preprocessing rebuilds "
                 "the strokes)"),
    "mnist_digit": ("MNIST digit", "an MNIST test digit, what `http_load.py` sends (already MNIST-like: "
                    "passed through)"),
}  # fmt: skip


def phone_photos_section(data: dict | None) -> list[str]:
    lines = ["## Photos at a phone camera's full resolution", "", "Command: `python benchmarks/phone_photos.py`", ""]
    if data is None:
        return lines + ["_not run yet_", ""]
    lines += [
        f"Machine: {machine_line(data)}.",
        "",
        f"Samples of the photo and line sets above, enlarged to {data['side']} px on the longer side (12 "
        "megapixels for a 4:3 photo) and saved as JPEG (quality 90), read from their bytes with the default "
        f"preprocessing (an image longer than {data['max_side']} px is averaged down by a whole-number factor "
        "before the ink is looked for) and with that reduction off, alternating. Time: bytes to answer "
        "per image.",
        "",
        "| set | images | JPEG (median) | accuracy reduced / full | answers agree | median time reduced / full | "
        "slowest reduced / full |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ("photos", "lines"):
        row = data[name]
        reduced, full = row["reduced"], row["full_resolution"]
        lines.append(
            f"| {name} | {row['count']} | {row['median_jpeg_bytes'] / 1e6:.2f} MB | "
            f"{100 * reduced['accuracy']:.1f}% / {100 * full['accuracy']:.1f}% | {100 * row['agree']:.0f}% | "
            f"**{reduced['median_ms']:.0f}** / {full['median_ms']:.0f} ms | "
            f"{reduced['max_ms']:.0f} / {full['max_ms']:.0f} ms |"
        )
    return lines + [""]


def latency_section(data: dict | None) -> list[str]:
    lines = ["## Speed of recognition", "", "Command: `python benchmarks/latency.py`", ""]
    if data is None:
        return lines + ["_not run yet_", ""]
    measured = {name: data[name] for name in LATENCY_IMAGES if name in data}
    first = next(iter(measured.values()))
    lines += [
        f"Machine: {machine_line(data)}.",
        "",
        f"PNG bytes to answer (decode, preprocess, ONNX Runtime), {first['calls']} calls per image after a "
        f"warm-up{rounds_text(first)}. Goal: p50 under 2 ms for a 280x280 canvas PNG. The stages are timed "
        "separately (p50 of each).",
        "",
        "| image | PNG | **p50** | p99 | decode | preprocess | model |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, result in measured.items():
        stages = result.get("stages_p50_ms", {})
        cells = [f"{stages[stage]:.2f} ms" if stage in stages else "" for stage in ("decode", "preprocess", "model")]
        short, described = LATENCY_IMAGES[name]
        lines.append(f"| {short}: {described} | {result.get('png', '')} | **{result['p50_ms']:.2f} ms** | "
                     f"{result['p99_ms']:.2f} ms | " + " | ".join(cells) + " |")  # fmt: skip
    lines += ["", "p50 per round (ms): " + "; ".join(
        f"{LATENCY_IMAGES[name][0]} " + ", ".join(f"{ms:.2f}" for ms in result["p50_per_round_ms"])
        for name, result in measured.items() if result.get("p50_per_round_ms")) + ".", ""]  # fmt: skip
    lines += [
        "Batch throughput of the shipped model on prepared 28x28 inputs (images/s, median of rounds, "
        "the two runtimes alternating):",
        "",
        "| batch | ONNX Runtime | PyTorch eager | ratio |",
        "|---:|---:|---:|---:|",
    ]
    for batch, row in data["throughput"].items():
        lines.append(f"| {batch} | {row['onnxruntime']:,.0f} | {row['pytorch']:,.0f} | {row['onnxruntime'] / row['pytorch']:.2f} |")
    return lines + [""]


def rounds_text(single: dict) -> str:
    """How the figures were taken when the calls were split into rounds (older results were not)."""
    if not single.get("p50_per_round_ms"):
        return ""
    return f" in {single['rounds']} rounds, the images taking turns, medians over the rounds"


def preprocess_ab_section(data: dict | None) -> list[str]:
    """The last change to preprocessing, timed side by side with the revision before it."""
    return side_by_side_section(
        data, "preprocess_ab.py", "Preprocessing against an earlier revision, side by side",
        "The module as it was at that revision and as it is now run alternately in one process on the "
        "same images (median per-image time over the rounds):",
    )  # fmt: skip


def latency_ab_section(data: dict | None) -> list[str]:
    """The last change to decoding or preprocessing, bytes to answer, side by side with the revision before it."""
    return side_by_side_section(
        data, "latency_ab.py", "Bytes to answer against an earlier revision, side by side",
        "Decoding and preprocessing as they were at that revision and as they are now, each with the shipped "
        "model on ONNX Runtime, run alternately in one process on the same PNG bytes (median per-image time "
        "over the rounds):",
    )  # fmt: skip


def side_by_side_section(data: dict | None, script: str, title: str, description: str) -> list[str]:
    if data is None or "rounds" not in data:
        return [f"### {title}", "", f"Command: `python benchmarks/{script} --base REVISION`", "", "_not run yet_", ""]
    command = (f"python benchmarks/{script} --base {data['base']} --images {data['images']} "
               f"--rounds {data['rounds']} --repeats {data['repeats']}")  # fmt: skip
    lines = [f"### {title}", "", f"Command: `{command}`", "", description, "",
             "| images | before | now | ratio | identical 28x28 output |", "|---|---:|---:|---:|---|"]  # fmt: skip
    for name, row in data["results"].items():
        lines.append(f"| {name} | {row['base_ms']:.2f} ms | {row['current_ms']:.2f} ms | {row['ratio']:.2f} | "
                     f"{'yes' if row['same_images'] else 'no'} |")  # fmt: skip
    return lines + [""]


def http_section(data: dict | None) -> list[str]:
    lines = ["## HTTP load", "", "Command: `python benchmarks/http_load.py`", ""]
    if data is None:
        return lines + ["_not run yet_", ""]
    settings = data["settings"]
    lines += [
        f"Machine: {machine_line(data)}. Closed loop on 127.0.0.1 from a separate process (asyncio streams, "
        "keep-alive, each request's bytes built once: the load generator's own CPU per request is in the "
        "JSON, a few tenths of a millisecond), "
        f"{settings['duration']:.0f} s per level after {settings['warmup']:.0f} s of warm-up, medians of "
        f"{settings['repeats']} repeats with the servers alternating. Both get the same image: {settings['image']} "
        f"({settings['image_bytes']} bytes). *digitrec*: `digitrec serve`, the full path (preprocessing, ONNX "
        "Runtime, history in SQLite). *reference*: `benchmarks/reference_server.py`, a single-file FastAPI + "
        "PyTorch server of the kind the reference systems use (same weights).",
        "",
        "| server | concurrency | req/s | p50 ms | p99 ms | errors | server CPU ms/request |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += table_rows(data)
    goals = data["goals"]
    rss = {s: r["rss_peak_mib"] for s, r in data["results"].items()}
    lines += [
        "",
        "Peak RSS of the server process tree: " + ", ".join(f"{s} {v:.0f} MiB" for s, v in rss.items()) + ".",
        "",
        f"Against the goals: throughput ratio at concurrency 8 **{goals['throughput_ratio_c8']:.2f}** (goal >= 2); "
        f"our p99 at concurrency 32 **{goals['our_p99_ms_c32']:.0f} ms** (goal < 50 ms); our errors "
        f"**{goals['our_errors']}** (goal 0); peak RSS ratio **{goals['rss_peak_ratio']:.3f}** (goal <= 0.5).",
        "",
    ]
    return lines


def http_mnist_section(data: dict | None) -> list[str]:
    """The same load with an MNIST digit as the image, which our preprocessing passes through."""
    lines = ["### An MNIST digit as the image", ""]
    if data is None:
        return lines + ["_not run yet_", ""]
    lines += [f"The same with {data['settings']['image']} "
             "(`python benchmarks/http_load.py --image mnist --out http_load_mnist.json`): already laid out as "
             "MNIST, so our preprocessing passes it through.", "",
             "| server | concurrency | req/s | p50 ms | p99 ms | errors | server CPU ms/request |",
             "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    lines += table_rows(data)
    goals = data["goals"]
    return lines + ["", f"Throughput ratio at concurrency 8: **{goals['throughput_ratio_c8']:.2f}**; our p99 at 32: "
                        f"**{goals['our_p99_ms_c32']:.0f} ms**; peak RSS ratio **{goals['rss_peak_ratio']:.3f}**.", ""]


def http_budget_section(data: dict | None) -> list[str]:
    """Where one request's CPU goes, and the ceiling that puts on one process."""
    lines = ["### Where a request's CPU goes", "", "Command: `python benchmarks/http_budget.py` (after http_load.py, "
             "whose reference throughput it reads)", ""]  # fmt: skip
    if data is None:
        return lines + ["_not run yet_", ""]
    floor, served, needed = data["framework_floor"], data["served"], data["needed_rps"]
    lines += [f"Machine: {machine_line(data)}. The image of the HTTP load above. Everything but the model call "
              "holds Python's GIL, so one process does it one request at a time.", "",
              f"| part of one request (our own work: in process, median of {data['settings']['runs']}) | ms |",
              "|---|---:|",
              f"| web stack alone (`benchmarks/bare_server.py` at 8 clients: HTTP, multipart form, a fixed answer), "
              f"server CPU | {floor['server_cpu_ms_per_request']:.2f} |"]  # fmt: skip
    lines += [f"| {name} | {ms:.3f} |" for name, ms in data["work_ms"].items()]
    lines += ["",
              f"Under the GIL (all but the model call): **{data['under_gil_ms']:.2f} ms**, so one process "
              f"answers at most **{data['ceiling_rps']:.0f} requests/s** even with nothing lost between the parts. "
              f"`digitrec serve` itself, measured the same way: {served['throughput_rps']:.0f} requests/s at "
              f"{served['server_cpu_ms_per_request']:.2f} ms of CPU per request; the difference is what a busy server "
              "adds to the parts (hand-offs between threads, colder caches). The goals need more than "
              + " and ".join(f"**{rate:.0f}** requests/s ({_NEEDS[goal]})" for goal, rate in needed.items()) + ".",
              ""]  # fmt: skip
    return lines


def http_workers_section(data: dict | None) -> list[str]:
    """What a second worker process buys, and what the machine itself allows."""
    command = "python benchmarks/http_load.py --also-workers 2 --levels 8 32 --out http_load_workers.json"
    lines = ["### A second worker process", "", f"Command: `{command}`", ""]
    if data is None:
        return lines + ["_not run yet_", ""]
    results, cores = data["results"], data["machine"]["cores"]
    reference = results["reference"]
    lines += [f"Machine: {machine_line(data)}. The image of the HTTP load above, medians of "
              f"{data['settings']['repeats']} repeats, all servers alternating. *Machine cap*: the most requests/s "
              f"{cores} fully busy cores allow at that server's CPU per request plus the load generator's, "
              "which runs on the same cores.", "",
              "| server | req/s at 8 | ratio to reference | req/s at 32 | p99 at 32 | machine cap at 32 | peak RSS "
              "| RSS ratio |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for server, result in results.items():
        at8, at32 = result["levels"]["8"], result["levels"]["32"]
        cap = cores * 1000.0 / (at32["server_cpu_ms_per_request"] + at32["client_cpu_ms_per_request"])
        lines.append(f"| {server} | {at8['throughput_rps']:.0f} | "
                     f"{at8['throughput_rps'] / reference['levels']['8']['throughput_rps']:.2f} | "
                     f"{at32['throughput_rps']:.0f} | {at32['p99_ms']:.0f} ms | {cap:.0f} | "
                     f"{result['rss_peak_mib']:.0f} MiB | {result['rss_peak_mib'] / reference['rss_peak_mib']:.2f} |")
    twice_reference = 2 * reference["levels"]["8"]["throughput_rps"]
    return lines + ["", f"The goals need {twice_reference:.0f} requests/s at 8 clients (twice the reference in this run) "
                        "and, for a p99 under 50 ms at 32 closed-loop clients, more than 640 (the mean latency is "
                        "32 / throughput). A second process adds throughput, but needs more memory than the goal of "
                        "half the reference's.", ""]  # fmt: skip


_NEEDS = {"throughput_c8": "twice the reference at 8 clients",
          "p99_c32": "a p99 under 50 ms at 32 closed-loop clients: the mean latency is 32 / throughput"}  # fmt: skip


def table_rows(data: dict) -> list[str]:
    return [f"| {server} | {level} | {row['throughput_rps']:.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
            f"{row['errors']} | {row['server_cpu_ms_per_request']:.1f} |"
            for server, result in data["results"].items() for level, row in result["levels"].items()]  # fmt: skip


def soak_section(data: dict | None) -> list[str]:
    lines = ["## Soak", "", "Command: `python benchmarks/soak.py` (the fault test runs it with 3,000 requests)", ""]
    if data is None:
        return lines + ["_not run yet_", ""]
    from soak import plot

    FIGURES.mkdir(exist_ok=True)
    plot(data, FIGURES / "soak.png")
    return lines + [
        f"Machine: {machine_line(data)}. One `digitrec serve` process with history on, {data['clients']} "
        f"concurrent clients, {data['requests']:,} requests cycling through: {', '.join(sorted(set(data['mix'])))}.",
        "",
        f"- {data['requests']:,} requests in {data['seconds']:.0f} s ({data['requests_per_s']:.0f}/s), "
        f"**{data['errors']} errors** (a blank canvas must get 422, everything else 200).",
        f"- Server RSS {data['rss_after_warmup_mib']:.0f} MiB after the warm-up (first tenth), peak "
        f"{data['rss_peak_mib']:.0f} MiB, final {data['rss_final_mib']:.0f} MiB: growth "
        f"**{data['growth_mib']:.1f} MiB** (bound {data['max_growth_mib']:.0f} MiB).",
        "",
        "![server RSS over the soak run](benchmarks/figures/soak.png)",
        "",
    ]


def adversarial_section(data: dict | None) -> list[str]:
    """Hostile inputs against a real server: status, server CPU and memory per case (issue 22)."""
    lines = ["## Hostile inputs", "", "Command: `python benchmarks/adversarial.py`", ""]
    if data is None:
        return lines + ["_not run yet_", ""]
    code = data["revision"]["commit"] + (" with uncommitted changes" if data["revision"]["modified"] else "")
    lines += [f"Machine: {machine_line(data)}; code at {code}.", "",
              "One `digitrec serve` (history on, default limits, `--body-timeout "
              f"{data['body_timeout_s']:g}`) gets each case in turn. Server CPU: user + system seconds of the "
              "process during the case; RSS growth: its peak RSS (VmHWM, reset before the case) over its RSS "
              "before. Meanwhile a probe sends a canvas drawing to `/api/predict` every 250 ms (its few ms of CPU "
              f"per request are in the figures); a case unanswered within {data['cap_s']:.0f} s is cut off and "
              "the server restarted.", "",
              "| case | input | status | server CPU (s) | RSS growth (MiB) | probe: slowest (ms), failed |",
              "|---|---|---|---:|---:|---:|"]  # fmt: skip
    missed = []
    for name, row in data["results"].items():
        lines.append(f"| {name} | {row['what']} | {row['status']} | {row['server_cpu_s']:.2f} | "
                     f"{row['rss_growth_mib']:.0f} | {row['probe_max_ms']:.0f}, {row['probe_failures']} |")  # fmt: skip
        over_cpu = row["server_cpu_s"] > 1.0 and name != "photo-25mp"  # the goal's one exception
        if over_cpu or row["rss_growth_mib"] > 150 or row["probe_failures"] or row["status"].startswith("no answer"):
            missed.append(name)
    verdict = f"missed by {', '.join(missed)}" if missed else "met by every case"
    return lines + ["", "Goals: no request over 1 s of server CPU (a maximal 25-megapixel photo aside) or 150 MiB "
                        f"of RSS growth, and the probe answered throughout: **{verdict}**.", ""]  # fmt: skip


SECTIONS = (
    ("time_to_99.json", time_to_99_section),
    ("zoo_accuracy.json", zoo_section),
    ("recognition.json", recognition_section),
    ("phone_photos.json", phone_photos_section),
    ("real_inputs.json", real_inputs_section),
    ("latency.json", latency_section),
    ("latency_ab.json", latency_ab_section),
    ("preprocess_ab.json", preprocess_ab_section),
    ("http_load.json", http_section),
    ("http_load_mnist.json", http_mnist_section),
    ("http_budget.json", http_budget_section),
    ("http_load_workers.json", http_workers_section),
    ("soak.json", soak_section),
    ("adversarial.json", adversarial_section),
)


def write_report() -> None:
    previous = report_sections(REPORT.read_text()) if REPORT.is_file() else {}
    lines = [
        "# Benchmarks",
        "",
        "Every figure here is written by `make bench` (`python benchmarks/run_all.py`) from the JSON "
        "results of the scripts in `benchmarks/`; rerun them to check. Timings on shared machines are "
        "noisy: compare ratios measured side by side, not absolute seconds across machines or days.",
        "",
    ]
    for result, section in SECTIONS:
        data = load_json(result)
        written = section(data)
        if data is None and written and written[0] in previous:
            written = previous[written[0]]  # not rerun: the figures already reported stand
        lines += written
    REPORT.write_text("\n".join(lines))
    print(f"wrote {REPORT}")


def report_sections(text: str) -> dict[str, list[str]]:
    """A report's sections by heading line ("## ..." or "### ..."), each up to the next heading."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.split("\n"):
        if line.startswith("## ") or line.startswith("### "):
            current = sections.setdefault(line, [])
        if current is not None:
            current.append(line)
    return sections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="only rewrite BENCHMARKS.md")
    parser.add_argument("--only", nargs="+", metavar="SCRIPT", choices=sorted({s for s, *_ in SCRIPTS}),
                        help="run only these scripts (the other sections keep their figures)")
    args = parser.parse_args()
    if not args.report:
        run_benchmarks(set(args.only) if args.only else None)
    write_report()


if __name__ == "__main__":
    main()
