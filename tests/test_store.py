"""The run store keeps runs, inputs, config and results, on SQLite and on PostgreSQL.

SQLite always runs. PostgreSQL runs when its server binaries are installed (PATH or
/usr/lib/postgresql/*/bin): a throw-away cluster is initialised in a temporary folder,
started on a free port, and given a fresh database per test. PostgreSQL refuses to run
as root, so as root the cluster belongs to the ``postgres`` user (or a system user made
for it when there is none).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from matcher.store import Base, RunStatus, Store, StoredFile, normalise_url

PG_TOOLS = ("initdb", "pg_ctl", "postgres")
#: Owner of the test cluster when the tests run as root and no ``postgres`` user exists.
PG_SYSTEM_USER = "cohort-matcher-pg"


def pg_bindir() -> Path | None:
    """A folder holding initdb, pg_ctl and postgres: beside the PATH's pg_ctl, or the
    newest /usr/lib/postgresql/<version>/bin (Debian keeps them off the PATH)."""
    candidates = [Path(p).parent for t in PG_TOOLS if (p := shutil.which(t))]
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(
        (Path(v) for v in versions),
        key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()],
        reverse=True,
    )
    for folder in candidates:
        if all(os.access(folder / t, os.X_OK) for t in PG_TOOLS):
            return folder
    return None


def pg_owner() -> pwd.struct_passwd | None:
    """The non-root user to run the server as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", PG_SYSTEM_USER):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_SYSTEM_USER],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam(PG_SYSTEM_USER)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PgServer]:
    """A PostgreSQL server of our own for the session, stopped and deleted afterwards."""
    bindir = pg_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server not installed: initdb, pg_ctl and postgres not found in PATH "
            "or /usr/lib/postgresql/*/bin (apt-get install postgresql)"
        )
    owner = pg_owner()
    root = Path(tempfile.mkdtemp(prefix="store-pg-"))
    as_owner: dict[str, Any] = {"cwd": root, "capture_output": True, "text": True}
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_owner |= {
            "user": owner.pw_uid,
            "group": owner.pw_gid,
            "extra_groups": [],
            "env": {**os.environ, "HOME": str(root), "USER": owner.pw_name},
        }
    data, log, port = root / "data", root / "server.log", free_port()

    def run(*args: str) -> None:
        done = subprocess.run([str(bindir / args[0]), *args[1:]], check=False, **as_owner)
        if done.returncode != 0:
            log_text = log.read_text(errors="replace") if log.exists() else ""
            pytest.fail(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}{log_text}")

    try:
        run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        run("pg_ctl", "start", "-w", "-t", "30", "-D", str(data), "-l", str(log), "-o", options)
        try:
            yield PgServer("127.0.0.1", port, "postgres")
        finally:
            run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(data))
    finally:
        shutil.rmtree(root, ignore_errors=True)


_databases = iter(range(1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.db'}"
    server: PgServer = request.getfixturevalue("postgres")
    name = f"store_{next(_databases)}"
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.url(name)


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    opened = Store(url)
    yield opened
    opened.close()


INPUTS = [
    StoredFile("survey.csv", "survey", b"id,name\r\n1,Ad\xc3\xa9\r\n"),
    StoredFile("pins.csv", "pins", b"\x00\x01\xfe\xff binary"),
    StoredFile("program.toml", "config", b""),
]


def finish(
    store: Store, run_id: str, pairs: list[tuple[str, str, str]], unmatched: list[str]
) -> None:
    summary = {"pairs": len(pairs)}
    store.save_results(
        run_id, summary=summary, result={}, files={}, pairs=pairs, unmatched=unmatched
    )


def test_round_trip(store: Store) -> None:
    config = {"name": "Spring", "weights": {"goals": 0.5}, "tracks": ["mentor", "peer"]}
    run_id = store.create_run(program="spring", config=config, inputs=INPUTS)
    assert len(run_id) == 32
    int(run_id, 16)

    record = store.get_run(run_id)
    assert record is not None
    assert (record.program, record.status, record.progress) == ("spring", "queued", [])
    assert record.created_at.tzinfo is not None
    assert record.created_at.utcoffset() == UTC.utcoffset(None)
    assert (record.finished_at, record.error, record.summary, record.accepted) == (
        None,
        None,
        None,
        False,
    )
    assert store.get_config(run_id) == config
    assert store.get_inputs(run_id) == INPUTS
    assert store.get_result(run_id) is None

    lines = [f"step {i}" for i in range(12)]
    for line in lines:
        store.set_status(run_id, "running", progress=line)
    store.set_status(run_id, "running")  # no line: nothing appended
    record = store.get_run(run_id)
    assert record is not None
    assert (record.status, record.progress, record.finished_at) == ("running", lines, None)

    files = {"pairs.csv": b"a,b\n", "results.xlsx": bytes(range(256)) * 40, "empty": b""}
    result = {"tracks": {"mentor": {"pairs": [["m1", "e1"]]}}, "score": 0.75, "none": None}
    store.save_results(
        run_id,
        summary={"pairs": 1, "unmatched": 1},
        result=result,
        files=files,
        pairs=[("mentor", "m1", "e1")],
        unmatched=["e2"],
    )
    record = store.get_run(run_id)
    assert record is not None
    assert record.status == "done"
    assert record.summary == {"pairs": 1, "unmatched": 1}
    assert record.finished_at is not None
    assert record.finished_at >= record.created_at
    assert store.get_result(run_id) == result
    for name, content in files.items():
        assert store.get_file(run_id, name) == content
    assert store.get_file(run_id, "missing.csv") is None

    for missing in (store.get_run, store.get_result, store.get_config):
        assert missing("0" * 32) is None
    assert store.get_inputs("0" * 32) == []
    with pytest.raises(KeyError):
        store.set_status("0" * 32, "running")


def test_failed_run_keeps_its_located_error(store: Store) -> None:
    run_id = store.create_run(program="p", config={}, inputs=[])
    store.set_status(run_id, "running", progress="reading survey.csv")
    issues: list[dict[str, Any]] = [
        {"file": "survey.csv", "row": 4, "column": "email", "value": "x", "message": "bad"},
        {"message": "no mentors"},
    ]
    store.set_status(run_id, "failed", progress="failed", error=issues)
    record = store.get_run(run_id)
    assert record is not None
    assert (record.status, record.error) == ("failed", issues)
    assert record.progress == ["reading survey.csv", "failed"]
    assert record.finished_at is not None


def test_list_runs_newest_first(store: Store) -> None:
    ids = [store.create_run(program="a" if i % 2 else "b", config={}, inputs=[]) for i in range(6)]
    assert [r.id for r in store.list_runs()] == ids[::-1]
    assert [r.id for r in store.list_runs("a")] == ids[1::2][::-1]
    assert [r.id for r in store.list_runs("b", limit=2)] == [ids[4], ids[2]]
    assert store.list_runs("nobody") == []


def test_accept_only_a_done_run(store: Store) -> None:
    run_id = store.create_run(program="p", config={}, inputs=[])
    statuses: tuple[RunStatus, ...] = ("queued", "running", "failed")
    for status in statuses:
        store.set_status(run_id, status)
        with pytest.raises(ValueError, match=status):
            store.accept(run_id)
    with pytest.raises(ValueError, match="no run"):
        store.accept("0" * 32)
    finish(store, run_id, [("peer", "x", "y")], [])
    store.accept(run_id)
    store.accept(run_id)  # accepting twice changes nothing
    record = store.get_run(run_id)
    assert record is not None
    assert record.accepted


def test_history_is_the_programs_accepted_rounds(store: Store) -> None:
    assert store.history("spring") == ([], set())
    first = store.create_run(program="spring", config={}, inputs=[])
    finish(store, first, [("mentor", "m1", "e1"), ("peer", "p1", "p2")], ["e9"])
    rejected = store.create_run(program="spring", config={}, inputs=[])
    finish(store, rejected, [("mentor", "m1", "e2")], ["e1"])
    other = store.create_run(program="autumn", config={}, inputs=[])
    finish(store, other, [("mentor", "m1", "e3")], ["z"])
    store.accept(other)
    assert store.history("spring") == ([], set())

    store.accept(first)
    assert store.history("spring") == ([("m1", "e1"), ("p1", "p2")], {"e9"})

    second = store.create_run(program="spring", config={}, inputs=[])
    finish(store, second, [("mentor", "m2", "e9")], ["e1", "p2"])
    store.accept(second)
    pairs, unmatched = store.history("spring")
    assert pairs == [("m1", "e1"), ("p1", "p2"), ("m2", "e9")]
    assert unmatched == {"e1", "p2"}  # the latest round's, not the first's
    assert store.history("autumn") == ([("m1", "e3")], {"z"})


def test_concurrent_writers_lose_nothing(store: Store) -> None:
    threads, runs_each = 8, 4
    shared = store.create_run(program="shared", config={}, inputs=[])
    errors: list[BaseException] = []
    made: dict[int, list[str]] = {}

    def work(worker: int) -> None:
        try:
            made[worker] = []
            for n in range(runs_each):
                payload = f"{worker}-{n}".encode()
                run_id = store.create_run(
                    program=f"w{worker}",
                    config={"n": n},
                    inputs=[StoredFile("survey.csv", "survey", payload)],
                )
                store.set_status(run_id, "running", progress="start")
                store.set_status(shared, "running", progress=f"{worker}-{n}")
                store.save_results(
                    run_id,
                    summary={"n": n},
                    result={"worker": worker},
                    files={"pairs.csv": payload},
                    pairs=[("peer", f"{worker}a{n}", f"{worker}b{n}")],
                    unmatched=[],
                )
                store.accept(run_id)
                made[worker].append(run_id)
        except BaseException as error:
            errors.append(error)

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []

    shared_run = store.get_run(shared)
    assert shared_run is not None
    expected = {f"{w}-{n}" for w in range(threads) for n in range(runs_each)}
    assert sorted(shared_run.progress) == sorted(expected)  # every appended line kept
    for worker, run_ids in made.items():
        assert len(run_ids) == runs_each
        for n, run_id in enumerate(run_ids):
            record = store.get_run(run_id)
            assert record is not None
            assert (record.status, record.progress, record.summary) == ("done", ["start"], {"n": n})
            assert store.get_file(run_id, "pairs.csv") == f"{worker}-{n}".encode()
            assert store.get_inputs(run_id)[0].content == f"{worker}-{n}".encode()
        pairs, _ = store.history(f"w{worker}")
        assert pairs == [(f"{worker}a{n}", f"{worker}b{n}") for n in range(runs_each)]


def test_sqlite_reads_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = Store(f"sqlite:///{path}")
    try:
        run_id = store.create_run(program="p", config={}, inputs=[])
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # another process mid-write holds the lock
        try:
            started = time.monotonic()
            assert store.get_run(run_id) is not None
            assert store.list_runs() != []
            assert time.monotonic() - started < 2
        finally:
            writer.execute("ROLLBACK")
            writer.close()
    finally:
        store.close()


def test_migrations_match_the_models(store: Store, url: str) -> None:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert diffs == []
    assert tables == {"alembic_version", "runs", "run_inputs", "run_files", "run_pairs"}


def test_reopening_keeps_the_data(url: str) -> None:
    first = Store(url)
    run_id = first.create_run(program="p", config={"k": [1, 2]}, inputs=INPUTS)
    finish(first, run_id, [("peer", "a", "b")], ["c"])
    first.accept(run_id)
    first.close()

    again = Store(url)  # upgrade to head again: nothing to do, nothing lost
    try:
        assert again.get_inputs(run_id) == INPUTS
        assert again.get_config(run_id) == {"k": [1, 2]}
        assert again.history("p") == ([("a", "b")], {"c"})
    finally:
        again.close()


def test_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///runs.db") == "sqlite:///runs.db"
