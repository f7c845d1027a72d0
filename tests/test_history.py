"""The prediction history on SQLite and on a real PostgreSQL server.

PostgreSQL comes from the `fixtures_postgres` plugin; its tests are skipped
when the server binaries are not installed.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import create_engine, text

import digitrec
from digitrec.errors import DigitrecError
from digitrec.history import (
    HistoryError,
    HistoryInputError,
    HistoryNotFoundError,
    HistoryStore,
    HistoryUnavailableError,
    NewPrediction,
    default_database_url,
)


def _png(size: tuple[int, int] = (28, 28), shade: int = 255) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, shade).save(buffer, format="PNG")
    return buffer.getvalue()


PNG_28 = _png()
THUMB = _png((96, 64), 0)


def _new(answer: str = "7", kind: str = "digit", **changes: object) -> NewPrediction:
    fields: dict[str, object] = {
        "source": "draw",
        "kind": kind,
        "answer": answer,
        "confidence": 0.9,
        "probabilities": [0.01] * 9 + [0.91] if kind == "digit" else [[0.1] * 10 for _ in answer],
        "model_name": "lenet",
        "model_version": "1",
        "preprocessed_png": PNG_28,
        "thumbnail_png": THUMB,
    }
    fields.update(changes)
    return NewPrediction(**fields)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/history.sqlite3"
    return request.getfixturevalue("fresh_postgres_url")


@pytest.fixture
def store(db_url: str):
    with HistoryStore(db_url) as opened:
        yield opened


def test_errors_are_digitrec_errors():
    for error in (HistoryInputError, HistoryNotFoundError, HistoryUnavailableError):
        assert issubclass(error, HistoryError)
    assert issubclass(HistoryError, DigitrecError)
    assert str(HistoryNotFoundError(42)) == "no history item 42"


def test_add_then_get_returns_everything_stored(store):
    before = datetime.now(UTC)
    item_id = store.add(_new("3", source="upload"))
    item = store.get(item_id)
    assert (item.id, item.source, item.kind, item.answer) == (item_id, "upload", "digit", "3")
    assert item.confidence == 0.9 and item.probabilities == [0.01] * 9 + [0.91]
    assert (item.model_name, item.model_version) == ("lenet", "1")
    assert item.preprocessed_png == PNG_28 and item.thumbnail_png == THUMB
    assert item.correct_label is None and item.corrected_at is None
    assert item.created_at.tzinfo is not None and item.created_at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= item.created_at <= datetime.now(UTC) + timedelta(seconds=1)


def test_a_line_keeps_its_per_digit_probabilities(store):
    item = store.get(store.add(_new("2025", kind="line", source="api")))
    assert item.answer == "2025" and len(item.probabilities) == 4 and len(item.probabilities[0]) == 10


def test_list_pages_newest_first_with_the_total(store):
    ids = [store.add(_new(str(n))) for n in range(5)]
    first, total = store.list(limit=2)
    second, _ = store.list(limit=2, offset=2)
    last, _ = store.list(limit=2, offset=4)
    assert total == 5
    assert [item.id for item in first + second + last] == ids[::-1]
    assert all(item.preprocessed_png is None and item.thumbnail_png == THUMB for item in first)
    assert store.list(limit=10, offset=50) == ([], 5)


@pytest.mark.parametrize("limit, offset", [(0, 0), (201, 0), (10, -1), ("5", 0), (True, 0), (5, 1.5)])
def test_list_rejects_bad_paging(tmp_path, limit, offset):
    with HistoryStore(f"sqlite:///{tmp_path}/h.sqlite3") as store, pytest.raises(HistoryInputError):
        store.list(limit=limit, offset=offset)


def test_correct_saves_the_label_and_time(store):
    digit = store.add(_new("1"))
    line = store.add(_new("2025", kind="line"))
    fixed = store.correct(digit, "7")
    assert fixed.correct_label == "7" and fixed.corrected_at is not None
    assert store.get(digit).correct_label == "7"
    assert store.correct(line, "2026").correct_label == "2026"
    assert store.correct(digit, "4").correct_label == "4"  # a second opinion replaces the first


@pytest.mark.parametrize(
    "kind, label",
    [
        ("digit", "10"),
        ("digit", ""),
        ("digit", "a"),
        ("digit", "٣"),
        ("digit", "7\n"),
        ("digit", 7),
        ("line", ""),
        ("line", "12a"),
        ("line", "1" * 33),
        ("line", None),
    ],
)
def test_correct_rejects_a_bad_label(tmp_path, kind, label):
    with HistoryStore(f"sqlite:///{tmp_path}/h.sqlite3") as store:
        item_id = store.add(_new("12" if kind == "line" else "1", kind=kind))
        with pytest.raises(HistoryInputError):
            store.correct(item_id, label)
        assert store.get(item_id).correct_label is None


def test_delete_then_get_is_not_found(store):
    item_id = store.add(_new())
    store.delete(item_id)
    with pytest.raises(HistoryNotFoundError, match=f"no history item {item_id}"):
        store.get(item_id)
    with pytest.raises(HistoryNotFoundError):
        store.delete(item_id)
    with pytest.raises(HistoryNotFoundError):
        store.correct(item_id, "1")
    assert store.list() == ([], 0)


@pytest.mark.parametrize("item_id", [0, -1, 2**40, 2**63 - 1, 2**63, 2**80])
def test_impossible_ids_are_not_found(store, item_id):
    with pytest.raises(HistoryNotFoundError):
        store.get(item_id)
    with pytest.raises(HistoryNotFoundError):
        store.delete(item_id)


def test_ids_must_be_whole_numbers(store):
    with pytest.raises(HistoryInputError):
        store.get("1")  # type: ignore[arg-type]


def test_ids_of_deleted_items_are_not_reused(store):
    first = store.add(_new())
    store.delete(first)
    assert store.add(_new()) != first


def test_export_writes_an_image_folder_dataset_of_corrected_digits(store):
    a, b, _uncorrected = store.add(_new("1")), store.add(_new("2")), store.add(_new("3"))
    line = store.add(_new("12", kind="line"))
    store.correct(a, "7")
    store.correct(b, "2")
    store.correct(line, "13")
    out = io.BytesIO()
    assert store.export_corrected(out) == 2
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert sorted(archive.namelist()) == sorted([f"7/{a}.png", f"2/{b}.png", "labels.txt"])
        labels = archive.read("labels.txt").decode().splitlines()
        assert sorted(labels) == sorted([f"7/{a}.png 7", f"2/{b}.png 2"])
        with Image.open(io.BytesIO(archive.read(f"7/{a}.png"))) as image:
            assert image.size == (28, 28)


def test_export_of_nothing_is_an_empty_dataset(store):
    out = io.BytesIO()
    assert store.export_corrected(out) == 0
    assert zipfile.ZipFile(out).read("labels.txt") == b""


def test_export_names_no_entry_from_a_label_that_is_not_one_digit(tmp_path):
    """Rows written around the API (by hand, by another program) must not name zip entries outside the folder."""
    url = f"sqlite:///{tmp_path}/h.sqlite3"
    with HistoryStore(url) as store:
        good, *bad = [store.add(_new("1")) for _ in range(4)]
        store.correct(good, "7")
    engine = create_engine(url)
    with engine.begin() as connection:
        for item_id, label in zip(bad, ["../../evil", "/etc/passwd", "\u00b2"], strict=True):
            connection.execute(text("UPDATE predictions SET correct_label = :label WHERE id = :id"),
                               {"label": label, "id": item_id})  # fmt: skip
    engine.dispose()
    out = io.BytesIO()
    with HistoryStore(url) as store:
        assert store.export_corrected(out) == 1
    assert sorted(zipfile.ZipFile(out).namelist()) == sorted([f"7/{good}.png", "labels.txt"])


def test_a_read_only_store_reads_and_refuses_writes_without_trying_them(tmp_path):
    path = tmp_path / "h.sqlite3"
    with HistoryStore(f"sqlite:///{path}") as store:
        item_id = store.add(_new("1"))
        assert not store.read_only and store.write_problem() is None
    with HistoryStore(f"sqlite:///file:{path}?mode=ro&uri=true") as read_only:
        assert read_only.read_only and "read-only" in read_only.write_problem()
        assert read_only.get(item_id).answer == "1"
        for write in (lambda: read_only.add(_new()), lambda: read_only.correct(item_id, "2"),
                      lambda: read_only.delete(item_id)):  # fmt: skip
            with pytest.raises(HistoryUnavailableError, match="read-only"):
                write()


def test_the_read_only_ways_to_open_a_file_read_a_wal_database(tmp_path):
    from digitrec.history._engine import make_engine, parse_url, read_only_urls

    path = tmp_path / "h.sqlite3"
    with HistoryStore(f"sqlite:///{path}") as store:
        store.add(_new("4"))
    urls = read_only_urls(parse_url(f"sqlite:///{path}"))
    assert [url.database.split("?")[1] for url in urls] == ["mode=ro", "mode=ro&immutable=1"]
    for url in urls:
        engine = make_engine(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT answer FROM predictions")).scalar() == "4"
        engine.dispose()
    assert read_only_urls(parse_url("postgresql://db/history")) == []


def test_error_messages_name_no_file(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(HistoryUnavailableError) as raised:
        HistoryStore(f"sqlite:///{tmp_path}/a-file/h.sqlite3")
    assert str(tmp_path) not in str(raised.value)
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryUnavailableError) as raised:
        HistoryStore(f"sqlite:///{damaged}")
    assert str(tmp_path) not in str(raised.value) and "damaged" in str(raised.value)


def test_a_rejected_label_is_quoted_short(store):
    item_id = store.add(_new("1"))
    with pytest.raises(HistoryInputError) as raised:
        store.correct(item_id, "9" * 100_000)
    assert len(str(raised.value)) < 120


@pytest.mark.parametrize(
    "change",
    [
        {"source": "camera"},
        {"kind": "word"},
        {"confidence": float("nan")},
        {"confidence": 1.5},
        {"probabilities": [float("inf")] * 10},
        {"probabilities": "0.1"},
        {"thumbnail_png": "not bytes"},
    ],
)
def test_add_rejects_a_malformed_prediction(tmp_path, change):
    with HistoryStore(f"sqlite:///{tmp_path}/h.sqlite3") as store, pytest.raises(HistoryInputError):
        store.add(_new(**change))


def test_add_many_stores_all_in_order_in_one_transaction(store):
    news = [_new(str(digit)) for digit in (3, 1, 4, 1, 5)]
    ids = store.add_many(news)
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert [store.get(item_id).answer for item_id in ids] == ["3", "1", "4", "1", "5"]
    items, total = store.list(limit=5)
    assert total == 5 and [item.id for item in items] == ids[::-1]  # newest first, same timestamp
    assert store.add_many([]) == []


def test_add_many_with_one_malformed_prediction_stores_none(store):
    with pytest.raises(HistoryInputError):
        store.add_many([_new("1"), _new("2", confidence=float("nan")), _new("3")])
    assert store.list()[1] == 0


def test_concurrent_writers_all_land(store):
    ids: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def write() -> None:
        try:
            mine = [store.add(_new()) for _ in range(25)]
        except HistoryError as error:  # collected and reported by the main thread
            failures.append(error)
            return
        with lock:
            ids.extend(mine)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(set(ids)) == 200
    assert store.list(limit=1)[1] == 200


def _python(script: str, *args: str) -> subprocess.Popen:
    """Run `script` in a new interpreter that imports this checkout's digitrec; stderr captured."""
    src = str(Path(digitrec.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", script, *args], env=env, stderr=subprocess.PIPE, text=True)


_WRITER = """
import sys
from digitrec.history import HistoryStore, NewPrediction
store = HistoryStore(sys.argv[1])
for _ in range(20):
    store.add(NewPrediction("api", "digit", "1", 0.5, [0.1] * 10, "lenet", "1", b"p", b"t"))
store.close()
"""


def test_processes_creating_and_writing_at_once_all_succeed(db_url):
    # Both processes also race to create the table on a database that has none yet.
    writers = [_python(_WRITER, db_url) for _ in range(2)]
    errors = [writer.communicate(timeout=60)[1] for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], errors
    with HistoryStore(db_url) as store:
        assert store.list(limit=1)[1] == 40


# Opens a new database file in each round, at the same instant as the other
# processes (rounds start on a shared clock), and writes one row.
_OPENER = """
import sys, time, traceback
from digitrec.history import HistoryStore, NewPrediction
folder, start, rounds, period = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
failures = []
for i in range(rounds):
    time.sleep(max(0.0, start + i * period - time.time()))
    try:
        with HistoryStore(f"sqlite:///{folder}/{i}.sqlite3") as store:
            store.add(NewPrediction("api", "digit", "1", 0.5, [0.1] * 10, "lenet", "1", b"p", b"t"))
    except Exception:
        failures.append(traceback.format_exc())
print(len(failures), file=sys.stderr)
print(*failures[:1], file=sys.stderr)
sys.exit(1 if failures else 0)
"""


@pytest.mark.slow
def test_processes_opening_a_new_sqlite_file_at_the_same_instant_all_succeed(tmp_path):
    # SQLite's busy handler does not cover switching a new file to WAL: before
    # that switch was retried, about one round in ten failed with "database is locked".
    rounds, period_s = 40, 0.1
    start = f"{time.time() + 3.0:.3f}"  # after both interpreters have imported digitrec
    openers = [_python(_OPENER, str(tmp_path), start, str(rounds), str(period_s)) for _ in range(2)]
    errors = [opener.communicate(timeout=120)[1] for opener in openers]
    assert [opener.returncode for opener in openers] == [0, 0], errors
    for i in range(rounds):
        with HistoryStore(f"sqlite:///{tmp_path}/{i}.sqlite3", create=False) as store:
            assert store.list(limit=1)[1] == 2


def test_sqlite_runs_in_wal_mode(tmp_path):
    path = tmp_path / "h.sqlite3"
    with HistoryStore(f"sqlite:///{path}") as store:
        store.add(_new())
        engine = create_engine(f"sqlite:///{path}")
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        engine.dispose()


def test_a_read_only_database_makes_add_unavailable(tmp_path):
    # mode=ro is enforced by SQLite itself, so this fails even for root (unlike chmod).
    path = tmp_path / "h.sqlite3"
    with HistoryStore(f"sqlite:///{path}") as writable:
        writable.add(_new())
        with HistoryStore(f"sqlite:///file:{path}?mode=ro&uri=true", create=False) as read_only:
            assert read_only.list()[1] == 1
            with pytest.raises(HistoryUnavailableError, match="readonly"):
                read_only.add(_new())


def test_a_path_under_a_regular_file_is_unavailable(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    url = f"sqlite:///{tmp_path}/a-file/history.sqlite3"
    with pytest.raises(HistoryUnavailableError):
        HistoryStore(url)
    with HistoryStore(url, create=False) as store:
        with pytest.raises(HistoryUnavailableError):
            store.add(_new())
        with pytest.raises(HistoryUnavailableError):
            store.ping()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_a_read_only_folder_is_unavailable(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    try:
        with (
            HistoryStore(f"sqlite:///{folder}/h.sqlite3", create=False) as store,
            pytest.raises(HistoryUnavailableError),
        ):
            store.add(_new())
    finally:
        folder.chmod(0o700)


def test_a_damaged_file_is_unavailable(tmp_path):
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryUnavailableError, match="not a database"):
        HistoryStore(f"sqlite:///{path}")


def test_a_server_that_is_down_is_unavailable():
    import socket

    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://someone:secret@127.0.0.1:{port}/history"
    with HistoryStore(url, create=False) as store:
        with pytest.raises(HistoryUnavailableError) as raised:
            store.add(_new())
        assert "secret" not in str(raised.value)
        with pytest.raises(HistoryUnavailableError):
            store.ping()


def test_ping_answers_on_a_working_database(store):
    store.ping()


def test_a_closed_store_refuses_work(tmp_path):
    store = HistoryStore(f"sqlite:///{tmp_path}/h.sqlite3")
    store.close()
    with pytest.raises(HistoryUnavailableError, match="closed"):
        store.add(_new())


@pytest.mark.parametrize("url", ["not a url", "mysql://db/history", "sqlite://", "sqlite:///:memory:"])
def test_unsupported_urls_are_input_errors(url):
    with pytest.raises(HistoryInputError):
        HistoryStore(url)


def test_default_url_follows_the_data_dir_variables(monkeypatch, tmp_path):
    monkeypatch.delenv("DIGITREC_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_database_url() == f"sqlite:///{tmp_path}/xdg/digitrec/history.sqlite3"
    monkeypatch.setenv("DIGITREC_HOME", str(tmp_path / "home"))
    assert default_database_url() == f"sqlite:///{tmp_path}/home/history.sqlite3"
    monkeypatch.delenv("DIGITREC_HOME")
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert default_database_url() == f"sqlite:///{tmp_path}/user/.local/share/digitrec/history.sqlite3"


def test_the_default_store_creates_its_folder_on_first_use(monkeypatch, tmp_path):
    monkeypatch.setenv("DIGITREC_HOME", str(tmp_path / "deep" / "home"))
    with HistoryStore() as store:
        store.add(_new())
    assert (tmp_path / "deep" / "home" / "history.sqlite3").is_file()


# ---- owners: each item is its owner's; EVERYONE (the default) is the admin's view ----


def test_calls_with_an_owner_act_on_that_owners_items_only(store):
    mine, theirs, nobodys = store.add(_new("1", owner="me")), store.add(_new("2", owner="them")), store.add(_new("3"))
    assert [item.id for item in store.list(owner="me")[0]] == [mine] and store.list(owner="me")[1] == 1
    assert [item.id for item in store.list(owner=None)[0]] == [nobodys]
    assert store.list()[1] == 3 and {item.owner for item in store.list()[0]} == {"me", "them", None}
    assert store.get(mine, owner="me").owner == "me"
    for call in (lambda: store.get(theirs, owner="me"), lambda: store.correct(theirs, "5", owner="me"),
                 lambda: store.delete(theirs, owner="me"), lambda: store.get(nobodys, owner="me")):  # fmt: skip
        with pytest.raises(HistoryNotFoundError, match="no history item"):
            call()
    assert store.get(theirs).correct_label is None  # untouched
    assert store.correct(mine, "7", owner="me").correct_label == "7"
    store.delete(mine, owner="me")
    assert store.list(owner="me") == ([], 0) and store.list()[1] == 2


def test_export_of_one_owner_holds_their_corrections_only(store):
    mine, theirs = store.add(_new("1", owner="me")), store.add(_new("2", owner="them"))
    store.correct(mine, "7")
    store.correct(theirs, "8")
    out = io.BytesIO()
    assert store.export_corrected(out, owner="me") == 1
    assert sorted(zipfile.ZipFile(out).namelist()) == sorted([f"7/{mine}.png", "labels.txt"])
    assert store.export_corrected(io.BytesIO()) == 2


@pytest.mark.parametrize("owner", ["", "x" * 65, 7])
def test_an_owner_is_none_or_up_to_64_characters(store, owner):
    with pytest.raises(HistoryInputError, match="owner"):
        store.add(_new(owner=owner))
    with pytest.raises(HistoryInputError, match="owner"):
        store.list(owner=owner)


def test_forget_deletes_every_item_of_one_owner_a_batch_at_a_time(store, monkeypatch):
    import digitrec.history._store as store_module

    monkeypatch.setattr(store_module, "DELETE_BATCH", 3)
    store.add_many([_new(owner="me")] * 10 + [_new(owner="them")] * 2 + [_new()])
    statements = _count_deletes(store)
    assert store.forget("me") == 10
    assert len(statements) == 4  # 3 + 3 + 3 + 1
    assert store.list(owner="me") == ([], 0) and store.list()[1] == 3
    assert store.forget("me") == 0


def _count_deletes(store: HistoryStore) -> list[str]:
    from sqlalchemy import event

    statements: list[str] = []
    event.listen(store._engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]) if args[2].lstrip().startswith("DELETE") else None)  # fmt: skip
    return statements


def _age(db_url: str, item_ids: list[int], days: float) -> None:
    """Make items look `days` older than they are."""
    engine = create_engine(db_url)
    with engine.begin() as connection:
        for item_id in item_ids:
            then = datetime.now(UTC) - timedelta(days=days)
            connection.execute(text("UPDATE predictions SET created_at = :then WHERE id = :id"),
                               {"then": then if engine.dialect.name == "postgresql" else then.replace(tzinfo=None),
                                "id": item_id})  # fmt: skip
    engine.dispose()


def test_purge_deletes_the_items_older_than_the_cutoff_only(store, db_url):
    old = store.add_many([_new("1", owner="me"), _new("2")])
    recent = store.add(_new("3"))
    _age(db_url, old, days=31)
    assert store.purge_older_than(datetime.now(UTC) - timedelta(days=30)) == 2
    assert [item.id for item in store.list()[0]] == [recent]
    assert store.purge_older_than(datetime.now(UTC) - timedelta(days=30)) == 0


def test_a_purge_lets_predictions_be_recorded_between_its_batches(tmp_path, monkeypatch):
    import digitrec.history._store as store_module

    monkeypatch.setattr(store_module, "DELETE_BATCH", 20)
    url = f"sqlite:///{tmp_path}/h.sqlite3"
    with HistoryStore(url) as store:
        _age(url, store.add_many([_new()] * 1000), days=10)  # 50 batches, at least DELETE_PAUSE_S apart
        purged: list[int] = []
        purge = threading.Thread(target=lambda: purged.append(store.purge_older_than(datetime.now(UTC))))
        purge.start()
        while store.list(limit=1)[1] == 1000:  # its first batch is done
            time.sleep(0.001)
        added = store.add(_new("9"))
        still_purging = purge.is_alive()
        purge.join()
    assert still_purging, "a prediction waited for the whole purge"
    assert purged == [1000] and added not in range(1, 1001)


def test_a_stopped_purge_ends_after_its_batch(store, db_url, monkeypatch):
    import digitrec.history._store as store_module

    monkeypatch.setattr(store_module, "DELETE_BATCH", 4)
    _age(db_url, store.add_many([_new()] * 10), days=2)
    stop = threading.Event()
    stop.set()
    assert store.purge_older_than(datetime.now(UTC), stop=stop) == 0
    assert store.purge_older_than(datetime.now(UTC)) == 10


# ---- rate-limit counters, in the same database ----


def test_a_counter_counts_in_its_window_then_starts_anew(store):
    counters = store.counters
    assert counters.get("client", now=100.0) == (0, 100.0)
    assert counters.hit("client", 60, 1, now=100.0) == (1, 160.0)
    assert counters.hit("client", 60, 2, now=159.0) == (3, 160.0)
    assert counters.get("client", now=159.5) == (3, 160.0)
    assert counters.get("client", now=160.0) == (0, 160.0)  # ended
    assert counters.hit("client", 60, 1, now=161.0) == (1, 221.0)
    assert counters.hit("other", 10, 1, now=161.0) == (1, 171.0)
    assert counters.drop_ended(now=200.0) == 1  # "other"
    assert counters.clear("client") == 1 and counters.get("client", now=162.0) == (0, 162.0)


def test_counters_hit_from_many_threads_lose_no_hit(store):
    def hit() -> None:
        for _ in range(25):
            store.counters.hit("busy", 60, 1, now=time.time())

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.counters.get("busy", now=time.time())[0] == 200


# ---- migrations: databases made before owners existed ----


def _previous_schema() -> "MetaData":
    """The predictions table as digitrec created it before migrations (commit ad8f9b3), without Alembic."""
    from sqlalchemy import JSON, BigInteger, Column, DateTime, Float, Integer, LargeBinary, MetaData, String, Table

    metadata = MetaData()
    Table(
        "predictions", metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False, index=True),
        Column("source", String(16), nullable=False), Column("kind", String(16), nullable=False),
        Column("answer", String, nullable=False), Column("confidence", Float, nullable=False),
        Column("probabilities", JSON, nullable=False), Column("model_name", String, nullable=False),
        Column("model_version", String, nullable=False), Column("preprocessed_png", LargeBinary, nullable=False),
        Column("thumbnail_png", LargeBinary, nullable=False), Column("correct_label", String),
        Column("corrected_at", DateTime(timezone=True)),
        sqlite_autoincrement=True,
    )  # fmt: skip
    return metadata


def _make_previous_database(db_url: str, rows: int) -> None:
    metadata = _previous_schema()
    engine = create_engine(db_url)
    with engine.begin() as connection:
        metadata.create_all(connection)
        connection.execute(metadata.tables["predictions"].insert(), [
            {"created_at": datetime.now(UTC), "source": "draw", "kind": "digit", "answer": str(i % 10),
             "confidence": 0.9, "probabilities": [0.1] * 10, "model_name": "lenet", "model_version": "1",
             "preprocessed_png": PNG_28, "thumbnail_png": THUMB, "correct_label": "1" if i == 0 else None}
            for i in range(rows)
        ])  # fmt: skip
    engine.dispose()


def test_a_database_of_the_previous_schema_is_migrated_and_its_items_become_the_admins(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from digitrec.history._migrate import head_revision
    from digitrec.history._schema import Base

    _make_previous_database(db_url, rows=3)
    with HistoryStore(db_url) as store:
        items, total = store.list()
        assert total == 3 and all(item.owner is None for item in items)
        assert store.list(owner=None)[1] == 3 and store.list(owner="a-visitor") == ([], 0)
        assert store.get(items[-1].id).correct_label == "1"  # kept as it was
        new = store.add(_new(owner="a-visitor"))
        assert new > max(item.id for item in items)
    engine = create_engine(db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == head_revision()
        assert compare_metadata(context, Base.metadata) == []  # the migrations made what _schema.py says
    engine.dispose()
    with HistoryStore(db_url) as store:  # opening it again changes nothing
        assert store.list()[1] == 4


def test_a_new_database_gets_every_migration(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from digitrec.history._schema import Base

    HistoryStore(db_url).close()
    engine = create_engine(db_url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_a_read_only_database_of_the_previous_schema_is_unavailable(tmp_path):
    path = tmp_path / "h.sqlite3"
    _make_previous_database(f"sqlite:///{path}", rows=1)
    with pytest.raises(HistoryUnavailableError):
        HistoryStore(f"sqlite:///file:{path}?mode=ro&uri=true")


def test_a_predictions_table_restored_without_alembics_record_is_upgraded_from_its_columns(db_url):
    """A dump of the predictions table alone (no alembic_version, no rate_limits) restored into an empty database."""
    with HistoryStore(db_url) as store:
        store.add(_new(owner="me"))
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
        connection.execute(text("DROP TABLE rate_limits"))
    engine.dispose()
    with HistoryStore(db_url) as store:
        assert store.list(owner="me")[1] == 1
        assert store.counters.hit("client", 60, 1, now=0.0) == (1, 60.0)
