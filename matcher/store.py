"""The run store: runs, their inputs, config and results, in SQLite or PostgreSQL.

SQLite (a file, no set-up) is the default; a ``postgresql://`` URL selects PostgreSQL
through psycopg 3. The schema is created and upgraded by the Alembic migrations that
ship inside this package, so opening a store is all the set-up there is. The pairs of a
program's accepted runs (its rounds) feed the no-repeat rule through :meth:`Store.history`.

The HTTP API calls one ``Store`` from several worker threads: it holds one engine and
opens a session per method call. SQLite runs in WAL mode; its write transactions start
with ``BEGIN IMMEDIATE`` under a busy timeout, so concurrent writers queue instead of
failing, and its reads never wait for a writer. On PostgreSQL, read-modify-write updates
lock their row (``FOR UPDATE``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    create_engine,
    delete,
    event,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

RunStatus = Literal["queued", "running", "done", "failed"]
FileKind = Literal["survey", "pins", "forbids", "config"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Seconds a SQLite writer waits for another writer's lock before giving up.
SQLITE_BUSY_TIMEOUT = 30.0
#: Key of the PostgreSQL advisory lock that serialises concurrent schema upgrades.
_MIGRATION_LOCK = 0x636F686F7274  # "cohort"
#: Execution option marking read-only sessions (SQLite then begins deferred, lock-free).
_READ_ONLY = "cohort_matcher_read_only"


@dataclass(frozen=True)
class StoredFile:
    """An uploaded input file, kept byte for byte so a run can be replayed."""

    name: str
    kind: FileKind
    content: bytes


class RunRecord(BaseModel):
    """What the API shows about a run (its large result and files are fetched apart)."""

    id: str
    program: str
    status: RunStatus
    created_at: datetime
    finished_at: datetime | None
    progress: list[str]
    error: list[dict[str, Any]] | None
    summary: dict[str, Any] | None
    accepted: bool


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Constraint names are fixed so the migrations name them the same on every backend."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Run(Base):
    """One matching run: its config, its status as it goes, and its results once done."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_program_created_at", "program", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    program: Mapped[str] = mapped_column(Text)
    status: Mapped[RunStatus] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    progress: Mapped[list[str]] = mapped_column(JSON)
    error: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Ids the run left without any match (the next round should favour them).
    unmatched: Mapped[list[str] | None] = mapped_column(JSON)
    accepted: Mapped[bool] = mapped_column(Boolean)
    #: When the run became a round; orders the rounds ("the latest accepted round").
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RunInput(Base):
    """An uploaded input file of a run, in upload order."""

    __tablename__ = "run_inputs"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[FileKind] = mapped_column(String(16))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class RunFile(Base):
    """An output file of a finished run (pairs.csv, the workbook, ...) by name."""

    __tablename__ = "run_files"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class RunPair(Base):
    """A pair a run made; ``program`` is copied here so history() reads one index."""

    __tablename__ = "run_pairs"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    program: Mapped[str] = mapped_column(Text, index=True)
    track: Mapped[str] = mapped_column(Text)
    a_id: Mapped[str] = mapped_column(Text)
    b_id: Mapped[str] = mapped_column(Text)


def normalise_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` mean psycopg 3 (the driver we install)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _engine(url: str) -> Engine:
    """One engine per store; SQLite gets WAL, a busy timeout and immediate transactions."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    engine = create_engine(
        parsed, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver so the "begin" hook below decides how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the lock up front: a deferred transaction that reads and then writes
        # fails with SQLITE_BUSY when another writer got in between, without waiting.
        reading = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine


def _record(run: Run) -> RunRecord:
    return RunRecord(
        id=run.id,
        program=run.program,
        status=run.status,
        created_at=run.created_at,
        finished_at=run.finished_at,
        progress=list(run.progress),
        error=run.error,
        summary=run.summary,
        accepted=run.accepted,
    )


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    """Runs and their files in one database; safe to share between threads."""

    def __init__(self, url: str = "sqlite:///cohort-matcher.db") -> None:
        self._engine = _engine(url)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        self._readers = sessionmaker(
            self._engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False
        )
        try:
            self._upgrade()
        except BaseException:
            self._engine.dispose()
            raise

    def _upgrade(self) -> None:
        """``alembic upgrade head`` on our own engine (no alembic.ini needed on disk)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Two processes opening a fresh database at once would both create tables.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A session for one write (the caller opens its transaction)."""
        with self._sessions() as session:
            yield session

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A session for reads only: on SQLite it does not queue behind writers."""
        with self._readers() as session:
            yield session

    def _run(self, session: Session, run_id: str, *, lock: bool = False) -> Run:
        run = session.get(Run, run_id, with_for_update=lock)
        if run is None:
            raise KeyError(f"no run {run_id!r}")
        return run

    def close(self) -> None:
        """Close every pooled connection (the file stays, ready to be reopened)."""
        self._engine.dispose()

    def create_run(self, *, program: str, config: dict[str, Any], inputs: list[StoredFile]) -> str:
        """A queued run with its config and uploaded files; returns its id."""
        run_id = uuid.uuid4().hex
        with self._session() as s, s.begin():
            s.add(
                Run(
                    id=run_id,
                    program=program,
                    status="queued",
                    created_at=_now(),
                    finished_at=None,
                    config=config,
                    progress=[],
                    error=None,
                    summary=None,
                    result=None,
                    unmatched=None,
                    accepted=False,
                    accepted_at=None,
                )
            )
            s.flush()  # the run row first: its inputs refer to it
            s.add_all(
                RunInput(run_id=run_id, position=i, name=f.name, kind=f.kind, content=f.content)
                for i, f in enumerate(inputs)
            )
        return run_id

    def set_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        progress: str | None = None,
        error: list[dict[str, Any]] | None = None,
    ) -> None:
        """Move a run along; appends the progress line, if any; KeyError if unknown."""
        with self._session() as s, s.begin():
            run = self._run(s, run_id, lock=True)
            run.status = status
            if progress is not None:
                run.progress = [*run.progress, progress]
            if error is not None:
                run.error = error
            if status in ("done", "failed"):
                run.finished_at = _now()

    def save_results(
        self,
        run_id: str,
        *,
        summary: dict[str, Any],
        result: dict[str, Any],
        files: dict[str, bytes],
        pairs: list[tuple[str, str, str]],
        unmatched: list[str],
    ) -> None:
        """Store a finished run's results (replacing any earlier ones) and mark it done."""
        with self._session() as s, s.begin():
            run = self._run(s, run_id, lock=True)
            s.execute(delete(RunFile).where(RunFile.run_id == run_id))
            s.execute(delete(RunPair).where(RunPair.run_id == run_id))
            s.add_all(RunFile(run_id=run_id, name=n, content=c) for n, c in files.items())
            s.add_all(
                RunPair(run_id=run_id, position=i, program=run.program, track=t, a_id=a, b_id=b)
                for i, (t, a, b) in enumerate(pairs)
            )
            run.summary = summary
            run.result = result
            run.unmatched = list(unmatched)
            run.status = "done"
            run.finished_at = _now()

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._reading() as s:
            run = s.get(Run, run_id)
            return None if run is None else _record(run)

    def get_result(self, run_id: str) -> dict[str, Any] | None:
        """The full result of a done run; None if unknown or not done."""
        with self._reading() as s:
            return s.scalar(select(Run.result).where(Run.id == run_id))

    def get_config(self, run_id: str) -> dict[str, Any] | None:
        with self._reading() as s:
            return s.scalar(select(Run.config).where(Run.id == run_id))

    def get_file(self, run_id: str, name: str) -> bytes | None:
        """An output file of the run by name; None if there is no such file."""
        with self._reading() as s:
            file = s.get(RunFile, (run_id, name))
            return None if file is None else file.content

    def get_inputs(self, run_id: str) -> list[StoredFile]:
        """The run's uploaded files in upload order (empty if the run is unknown)."""
        with self._reading() as s:
            rows = s.scalars(
                select(RunInput).where(RunInput.run_id == run_id).order_by(RunInput.position)
            )
            return [StoredFile(r.name, r.kind, r.content) for r in rows]

    def list_runs(self, program: str | None = None, limit: int = 50) -> list[RunRecord]:
        """The newest runs first, of one program or of all."""
        query = select(Run).order_by(Run.created_at.desc(), Run.id.desc()).limit(limit)
        if program is not None:
            query = query.where(Run.program == program)
        with self._reading() as s:
            return [_record(r) for r in s.scalars(query)]

    def accept(self, run_id: str) -> None:
        """Make a done run one of its program's rounds; ValueError if unknown or not done."""
        with self._session() as s, s.begin():
            run = s.get(Run, run_id, with_for_update=True)
            if run is None:
                raise ValueError(f"no run {run_id!r}")
            if run.status != "done":
                raise ValueError(f"run {run_id} is {run.status}: only a done run can be accepted")
            if not run.accepted:
                run.accepted = True
                run.accepted_at = _now()

    def history(self, program: str) -> tuple[list[tuple[str, str]], set[str]]:
        """The (a, b) pairs of the program's rounds, oldest round first, and the people
        its latest round (the last accepted) left unmatched: the no-repeat rule's input."""
        with self._reading() as s:
            rows = s.execute(
                select(RunPair.a_id, RunPair.b_id)
                .join(Run, Run.id == RunPair.run_id)
                .where(RunPair.program == program, Run.accepted)
                .order_by(Run.accepted_at, Run.id, RunPair.position)
            )
            pairs = [(a, b) for a, b in rows]
            latest = s.scalar(
                select(Run.unmatched)
                .where(Run.program == program, Run.accepted)
                .order_by(Run.accepted_at.desc(), Run.id.desc())
                .limit(1)
            )
        return pairs, set(latest or ())
