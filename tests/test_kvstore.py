"""The SQLite store behind the LLM cache and the translation memory: many openers at once."""

import multiprocessing
import threading

from babelforge.kvstore import SqliteStore


def _open_and_write(path: str, name: str, start, failures) -> None:
    start.wait()
    try:
        store = SqliteStore(path)
        store.put_many({name: name})
        store.close()
    except Exception as error:  # noqa: BLE001 - the test reports every failure
        failures.append(f"{name}: {error}")


def test_threads_opening_a_new_store_together_all_get_it(tmp_path):
    for round_ in range(100):  # before: about one round in twenty failed
        path, start, failures = str(tmp_path / f"new-{round_}.sqlite"), threading.Barrier(8), []
        threads = [threading.Thread(target=_open_and_write, args=(path, f"t{i}", start, failures)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []  # before: "database is locked" at once for some, whatever the busy timeout
        assert len(SqliteStore(path)) == 8


def test_processes_opening_a_new_store_together_all_get_it(tmp_path):
    context = multiprocessing.get_context("fork")
    with context.Manager() as manager:
        path, start, failures = str(tmp_path / "new.sqlite"), manager.Barrier(6), manager.list()
        processes = [context.Process(target=_open_and_write, args=(path, f"p{i}", start, failures)) for i in range(6)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(60)
        assert list(failures) == []
    assert len(SqliteStore(path)) == 6
