"""A Datasette plugin loaded by `macli browse`: every page, query and download that
shows rows of a patient table is written to macli's audit chain before it is served.

Datasette keeps its own connections read-only as before; the audit row goes through a
separate connection opened by macli's own store and audit code (`macli.store.Store`,
`macli.audit.record`), from one writer thread, so the chain is the same one every
other command appends to. A request whose audit row cannot be written is refused
(503): nothing is shown that is not recorded.

What touches a patient table is decided by SQLite itself: the page's SQL (a table's
`SELECT *`, a canned query, or the `?sql=` typed in) is compiled, not run, under an
authorizer that lists the tables it would read; patient tables are `patients` and
every table holding a `patient_id` or pointing (through foreign keys) at one.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import parse_qs

from datasette import hookimpl

_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="macli-audit")
_state = threading.local()
_FORMATS = (".json", ".csv")
_DETAIL_LIMIT = 500


def _path() -> str:
    return os.environ["MACLI_BROWSE_DB"]


def _user() -> str:
    return os.environ.get("MACLI_BROWSE_USER") or "unknown"


def patient_tables(conn: sqlite3.Connection) -> set[str]:
    """`patients`, tables with a patient_id column, and tables pointing at any of them."""
    names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    found = {"patients"}
    for name in names:
        columns = {row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')}
        if "patient_id" in columns:
            found.add(name)
    changed = True
    while changed:
        changed = False
        for name in names:
            if name in found:
                continue
            parents = {row[2] for row in conn.execute(f'PRAGMA foreign_key_list("{name}")')}
            if parents & found:
                found.add(name)
                changed = True
    return found


def tables_read(conn: sqlite3.Connection, sql: str) -> set[str] | None:
    """The tables `sql` would read (compiled under an authorizer, never run); None when
    it does not compile (Datasette shows its error and no rows)."""
    read: set[str] = set()

    def note(action, table, column, database, trigger):
        if action == sqlite3.SQLITE_READ and table:
            read.add(table)
        return sqlite3.SQLITE_OK

    conn.set_authorizer(note)
    try:
        conn.execute("EXPLAIN " + sql)
    except sqlite3.ProgrammingError:
        pass  # parameters not bound: compiled all the same, which is all that is needed
    except sqlite3.Error:
        return None
    finally:
        conn.set_authorizer(None)
    return read


def _inspector() -> tuple[sqlite3.Connection, set[str]]:
    # Used from the writer thread only: one read-only connection kept for the process.
    if getattr(_state, "conn", None) is None:
        from macli.browse_plugins import macli_sql

        conn = sqlite3.connect(f"file:{_path()}?mode=ro", uri=True)
        macli_sql.prepare_connection(conn)
        _state.conn = conn
        _state.patient_tables = patient_tables(conn)
    return _state.conn, _state.patient_tables


def _store():
    if getattr(_state, "store", None) is None:
        from macli.store import Store

        _state.store = Store(_path(), create=False)
    return _state.store


def judge_and_record(request: dict) -> bool:
    """Record the request if it shows patient rows; True when recorded (or not needed)."""
    from macli import audit

    conn, patients = _inspector()
    if request["kind"] == "download":
        touched = patients if request["sql"] is None else tables_read(conn, request["sql"])
    else:
        touched = tables_read(conn, request["sql"])
    touched = (touched or set()) & patients
    if not touched:
        return False
    detail = f"{request['target']} ({', '.join(sorted(touched))})"
    audit.record(
        _store(),
        user=_user(),
        action=f"browse.{request['kind']}",
        now=datetime.now(UTC),
        patient_id=request.get("patient_id"),
        detail=detail[:_DETAIL_LIMIT],
    )
    return True


async def describe(datasette, scope) -> dict | None:
    """What a request would show: {kind, sql, target, patient_id}, or None for pages
    showing no rows (the index, a database's table list, static files, /-/ pages)."""
    from datasette.utils import tilde_decode

    path = scope.get("path", "")
    query_string = scope.get("query_string", b"").decode("latin-1")
    query = parse_qs(query_string)
    target = path + (f"?{query_string}" if query_string else "")
    parts = [part for part in path.split("/") if part]
    if not parts or parts[0].startswith("-"):
        return None
    first = tilde_decode(parts[0])
    if first.endswith(".db") and first[:-3] in datasette.databases:
        return {"kind": "download", "sql": None, "target": target}
    name = first
    for suffix in _FORMATS:
        name = name.removesuffix(suffix)
    if name not in datasette.databases:
        return None
    if len(parts) == 1:
        if "sql" not in query:
            return None
        return {"kind": "query", "sql": query["sql"][0], "target": target}
    second = tilde_decode(parts[1])
    suffix = next((s for s in _FORMATS if second.endswith(s)), "")
    second = second.removesuffix(suffix) if suffix else second
    canned = await datasette.get_canned_query(name, second, None)
    if canned is not None:
        return {"kind": "query", "sql": canned["sql"], "target": target}
    database = datasette.databases[name]
    if second not in await database.table_names() and second not in await database.view_names():
        return None
    kind = "download" if suffix == ".csv" or "_stream" in query else "view"
    found = {"kind": kind, "sql": f'SELECT * FROM "{second}"', "target": target}
    if second == "patients" and len(parts) > 2 and tilde_decode(parts[2]).split(".")[0].isdigit():
        found["patient_id"] = int(tilde_decode(parts[2]).split(".")[0])
    return found


async def _refuse(send) -> None:
    body = b"This page could not be recorded in the audit log, so it is not shown.\n"
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def audited(scope, receive, send):
            if scope.get("type") == "http" and "MACLI_BROWSE_DB" in os.environ:
                request = await describe(datasette, scope)
                if request is not None:
                    loop = asyncio.get_running_loop()
                    try:
                        await loop.run_in_executor(_WRITER, judge_and_record, request)
                    except Exception:  # noqa: BLE001 — any failure to record refuses the page
                        await _refuse(send)
                        return
            await app(scope, receive, send)

        return audited

    return wrap
