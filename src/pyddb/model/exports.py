"""Export and import jobs: their records, their background threads, and the table state an export reads.

No file is opened here (the files are pyddb/io, driven by api/exports.py). This module keeps what DynamoDB
keeps about each job (the ExportDescription / ImportTableDescription), runs a job's work in a thread, and
reads a table's items at one instant for an export.

RECORDS (engine keyspaces "__exports__" and "__imports__"; pk = b"j", sk = the job's ARN, UTF-8;
value = msgpack of a dict)
    The dict holds the description members under their DynamoDB names (ExportArn, ExportStatus, ...), times
    as epoch seconds (floats, ms precision), plus private members starting with "_": "_seq" (creation
    order, for List*), "_token_at" (when the ClientToken was accepted), "_params" (the request members a
    repeated ClientToken must match). `describe()` drops the private members.

LIFE OF A JOB
    IN_PROGRESS --work done--> COMPLETED
               \\--work raised--> FAILED (FailureCode, FailureMessage)
    A record is written IN_PROGRESS before the request returns, and again at the end.
    CLOSE: `stop()` (DynamoDB.close, before the engine closes) sets a stop flag and joins every job thread.
    The work checks the flag between files/batches (`check_stop`); a job that sees it raises `Stopped`
    and is recorded FAILED (FailureCode "UNKNOWN", FailureMessage INTERRUPTED: "interrupted: the database
    was closed before the job finished") while the engine is still open; a job past its last check (an
    export writing its manifests) finishes and is recorded COMPLETED. Jobs are not resumed at reopen
    (decision: an export is a copy at one instant that can be asked for again; a half-done import leaves
    a table the caller must judge anyway), so the record always says what the files say.
    CRASH: a job still IN_PROGRESS when the records are next loaded (the process died) is given to the
    kind's RECOVER hook (the operation layer's: for an export, "is its manifest-summary.json there?"),
    which returns the COMPLETED fields when the job's output is whole, else it is FAILED INTERRUPTED. The
    files a failed job wrote stay where they are (an export is only complete once its
    manifest-summary.json exists, as with DynamoDB).

CLIENT TOKENS
    `by_token(kind, token)` finds the job started with that ClientToken within the last 8 hours
    (TOKEN_WINDOW: "A client token is valid for 8 hours after the first request that uses it is completed",
    ExportTableToPointInTime / ImportTable API reference), measured from when the job was accepted.

INVARIANTS
    (J1) A job's record is durable (sync write) before the request that started it returns.
    (J2) Records change only through `update`, which rewrites the whole record under the jobs lock, so a
         reader sees one version or the next, never half of an update.
    (J3) `table_items_at` yields the items of one table as they were at one instant T (the export's
         ExportTime, which is the request's instant when the request gave none), read from point-in-time
         recovery (model/pitr.py iter_table_at); the table's lock is never held, so writers do not wait
         for an export, and the items are streamed, not held in memory.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional

import msgpack


log = logging.getLogger("pyddb.exports")

KEYSPACES = {"export": "__exports__", "import": "__imports__"}
ARN_MEMBER = {"export": "ExportArn", "import": "ImportArn"}
STATUS_MEMBER = {"export": "ExportStatus", "import": "ImportStatus"}
TOKEN_WINDOW = 8 * 3600.0
PK = b"j"
INTERRUPTED = "interrupted: the database was closed before the job finished"
# kind -> fn(model, record) -> the COMPLETED fields of a job found IN_PROGRESS at load whose output is whole,
# or None (set by the operation layer, api/exports.py, which alone looks at files)
RECOVER: Dict[str, Callable[[Any, Dict[str, Any]], Optional[Dict[str, Any]]]] = {}


class Jobs:
    """The export and import jobs of one model (`jobs(model)` makes and keeps it)."""

    def __init__(self, model) -> None:
        self.model = model
        self.engine = model.engine
        self.lock = threading.RLock()
        self.records: Dict[str, Dict[str, Dict[str, Any]]] = {"export": {}, "import": {}}
        self.threads: Dict[str, threading.Thread] = {}
        self.stopping = threading.Event()
        self._seq = 0
        for kind, ks in KEYSPACES.items():
            if not self.engine.has_keyspace(ks):
                self.engine.create_keyspace(ks)
            for _, sk, value in self.engine.scan(ks):
                r = msgpack.unpackb(value, raw=False)
                self.records[kind][sk.decode("utf-8")] = r
                self._seq = max(self._seq, r.get("_seq", 0))
        for kind, records in self.records.items():
            for arn, r in list(records.items()):
                if r[STATUS_MEMBER[kind]] == "IN_PROGRESS":
                    self._recover(kind, arn, r)

    def _recover(self, kind: str, arn: str, r: Dict[str, Any]) -> None:
        """A job left IN_PROGRESS by a crash: COMPLETED if its output is whole (RECOVER), else FAILED."""
        status = STATUS_MEMBER[kind]
        fields = None
        hook = RECOVER.get(kind)
        if hook is not None:
            try:
                fields = hook(self.model, r)
            except Exception:  # noqa: BLE001 -- unreadable output is an incomplete one
                log.exception("%s %s: cannot check its output", kind, arn)
        if fields is not None:
            self.update(kind, arn, **dict({"EndTime": self.now()}, **fields, **{status: "COMPLETED"}))
        else:
            self.update(kind, arn, **{status: "FAILED", "FailureCode": "UNKNOWN",
                                      "FailureMessage": INTERRUPTED, "EndTime": self.now()})

    def now(self) -> float:
        return round(self.model.clock(), 3)

    # ---- records ------------------------------------------------------------------------------------------

    def _save(self, kind: str, record: Dict[str, Any]) -> None:
        arn = record[ARN_MEMBER[kind]]
        self.engine.write_batch([(KEYSPACES[kind], PK, arn.encode("utf-8"),
                                  msgpack.packb(record, use_bin_type=True))], sync=True)     # (J1)
        self.records[kind][arn] = record

    def add(self, kind: str, record: Dict[str, Any]) -> Dict[str, Any]:
        with self.lock:
            self._seq += 1
            record = dict(record, _seq=self._seq)
            self._save(kind, record)
            return record

    def update(self, kind: str, arn: str, **fields: Any) -> Dict[str, Any]:
        with self.lock:                                                                       # (J2)
            record = dict(self.records[kind][arn], **fields)
            self._save(kind, record)
            return record

    def get(self, kind: str, arn: str) -> Optional[Dict[str, Any]]:
        return self.records[kind].get(arn)

    def all(self, kind: str) -> List[Dict[str, Any]]:
        """Every job of `kind`, oldest first."""
        with self.lock:
            return sorted(self.records[kind].values(), key=lambda r: r["_seq"])

    def by_token(self, kind: str, token: str) -> Optional[Dict[str, Any]]:
        now = self.model.clock()
        with self.lock:
            for r in self.records[kind].values():
                if r.get("ClientToken") == token and now - r.get("_token_at", 0) < TOKEN_WINDOW:
                    return r
        return None

    # ---- work ---------------------------------------------------------------------------------------------

    def start(self, kind: str, arn: str, work: Callable[[], Dict[str, Any]]) -> None:
        """Run `work()` in a thread; its result (description members) completes the job, an exception
        fails it: a DynamoDB-style failure is `JobFailed(code, message)`, anything else is "UNKNOWN"."""
        status = STATUS_MEMBER[kind]

        def run() -> None:
            try:
                fields = work()
                self.update(kind, arn, **dict({"EndTime": self.now()}, **fields, **{status: "COMPLETED"}))
            except BaseException as e:  # noqa: BLE001 -- a job never kills its thread silently
                code, message = (e.code, e.message) if isinstance(e, JobFailed) else ("UNKNOWN", str(e))
                if not isinstance(e, JobFailed):
                    log.exception("%s %s failed", kind, arn)
                # the engine is open here: stop() joins this thread before the database closes (CLOSE)
                self.update(kind, arn, **{status: "FAILED", "FailureCode": code,
                                          "FailureMessage": message, "EndTime": self.now()})
            finally:
                with self.lock:
                    self.threads.pop(arn, None)

        with self.lock:
            if self.stopping.is_set():                # the database is closing: the job never runs
                self.update(kind, arn, **{status: "FAILED", "FailureCode": "UNKNOWN",
                                          "FailureMessage": INTERRUPTED, "EndTime": self.now()})
                return
            th = threading.Thread(target=run, name="pyddb-%s" % kind, daemon=True)
            self.threads[arn] = th
            th.start()

    def check_stop(self) -> None:
        """Raise Stopped when the database is closing (the work calls it between files and batches)."""
        if self.stopping.is_set():
            raise Stopped("UNKNOWN", INTERRUPTED)

    def stop(self) -> None:
        """Stop every job and wait for its thread (CLOSE); called by DynamoDB.close before the engine
        closes, so each job's last record update is written."""
        with self.lock:
            self.stopping.set()
            threads = list(self.threads.values())
        for th in threads:
            th.join()

    def wait(self, timeout: Optional[float] = None) -> None:
        """Wait for every running job (for tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for th in list(self.threads.values()):
            th.join(None if deadline is None else max(0.0, deadline - time.monotonic()))


class JobFailed(Exception):
    """A job's failure as DynamoDB reports it: FailureCode and FailureMessage."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Stopped(JobFailed):
    """The database is closing (check_stop): the job ends FAILED with INTERRUPTED."""


_JOBS_LOCK = threading.Lock()


def jobs(model) -> Jobs:
    """The model's Jobs, made on first use (a database that never exports pays nothing)."""
    j = getattr(model, "_export_import_jobs", None)
    if j is None:
        with _JOBS_LOCK:
            j = getattr(model, "_export_import_jobs", None)
            if j is None:
                j = Jobs(model)
                model._export_import_jobs = j
    return j


def describe(record: Dict[str, Any]) -> Dict[str, Any]:
    """The record's public members (times still epoch seconds)."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


# ---- the items an export reads -----------------------------------------------------------------------------


def table_items_at(model, t, at: float) -> Iterator[Dict[str, Any]]:
    """The items of table `t` at time `at` (epoch seconds), one consistent state (J3), read through
    point-in-time recovery (model/pitr.py iter_table_at: the newest base copy at or before `at` plus the
    WAL replayed up to `at`, materialized into a scratch keyspace under the control-plane lock, then
    scanned with no lock held; the scratch keyspace is dropped when the iterator ends or is closed).
    LookupError for a time outside the table's recovery window (the export then fails)."""
    from pyddb.model import pitr

    return pitr.iter_table_at(model, t, at)
