"""MicroBatcher: requests waiting together share one call, each gets its own result."""

from __future__ import annotations

import asyncio
import threading

import pytest

from digitrec.api.microbatch import MicroBatcher


class Recorder:
    """A process function that remembers its batches and can be held back until released."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, items: list[int]) -> list[int]:
        self.entered.set()
        self.gate.wait(5)
        self.batches.append(list(items))
        return [item * 10 for item in items]


def test_each_request_gets_its_own_result_in_a_shared_batch():
    process = Recorder()
    batcher = MicroBatcher(process, max_batch=8, name="test")

    async def main() -> list[int]:
        process.gate.clear()  # the first batch waits, so the others queue up behind it
        first = asyncio.ensure_future(batcher.submit(0))
        while not process.entered.is_set():  # the thread holds the first batch
            await asyncio.sleep(0.01)
        rest = [asyncio.ensure_future(batcher.submit(i)) for i in range(1, 6)]
        await asyncio.sleep(0.05)  # each task queues its item at its first step
        process.gate.set()
        return await asyncio.gather(first, *rest)

    try:
        assert asyncio.run(main()) == [0, 10, 20, 30, 40, 50]
    finally:
        batcher.close()
    assert process.batches == [[0], [1, 2, 3, 4, 5]]


def test_batches_are_at_most_max_batch():
    process = Recorder()
    batcher = MicroBatcher(process, max_batch=2, name="test")

    async def main() -> list[int]:
        process.gate.clear()
        futures = [asyncio.ensure_future(batcher.submit(i)) for i in range(5)]
        await asyncio.sleep(0.05)
        process.gate.set()
        return await asyncio.gather(*futures)

    try:
        assert asyncio.run(main()) == [0, 10, 20, 30, 40]
    finally:
        batcher.close()
    assert max(len(batch) for batch in process.batches) == 2
    assert sum(process.batches, []) == [0, 1, 2, 3, 4]


def test_a_failing_batch_raises_to_each_request_and_the_next_batch_still_runs():
    calls = []

    def process(items: list[int]) -> list[int]:
        calls.append(items)
        if len(calls) == 1:
            raise ValueError("model exploded")
        return items

    batcher = MicroBatcher(process, max_batch=8, name="test")

    async def main() -> int:
        with pytest.raises(ValueError, match="model exploded"):
            await batcher.submit(1)
        return await batcher.submit(2)

    try:
        assert asyncio.run(main()) == 2
    finally:
        batcher.close()


def test_a_wrong_number_of_results_is_an_error_not_a_wrong_answer():
    batcher = MicroBatcher(lambda items: [], max_batch=8, name="test")
    try:
        with pytest.raises(RuntimeError, match="0 results for 1 items"):
            asyncio.run(batcher.submit(1))
    finally:
        batcher.close()


def test_close_stops_the_thread_and_a_later_submit_starts_it_again():
    batcher = MicroBatcher(lambda items: items, max_batch=8, name="restart")
    assert asyncio.run(batcher.submit(1)) == 1
    batcher.close()
    assert not any(t.name == "digitrec-restart" for t in threading.enumerate())
    try:
        assert asyncio.run(batcher.submit(2)) == 2
    finally:
        batcher.close()


def test_max_batch_must_be_positive():
    with pytest.raises(ValueError):
        MicroBatcher(lambda items: items, max_batch=0, name="test")
