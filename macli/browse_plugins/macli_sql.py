"""A Datasette plugin loaded by `macli browse`: SQL functions for clinic-local time.

Stored instants are UTC; these let canned queries select and show the clinic's day.
The zone comes from MACLI_BROWSE_TZ, set by `macli browse`.
"""

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

from datasette import hookimpl

from macli import when

DATABASE_NAME = "macli"  # the one name `macli browse` serves the store under


def _zone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("MACLI_BROWSE_TZ", "UTC"))


def _local(instant: str | None) -> datetime | None:
    if not instant:
        return None
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(_zone())


def local_time(instant):
    local = _local(instant)
    return local.strftime("%H:%M") if local else None


def local_date(instant):
    local = _local(instant)
    return local.date().isoformat() if local else None


def day_start_utc(day):
    """UTC text of the first instant of the clinic's `day` (today when empty)."""
    start = date.fromisoformat(day) if day else datetime.now(_zone()).date()
    return when.utc_text(when.day_start(start, _zone()))


def local_today():
    return datetime.now(_zone()).date().isoformat()


@hookimpl
def prepare_connection(conn):
    conn.create_function("local_time", 1, local_time, deterministic=True)
    conn.create_function("local_date", 1, local_date, deterministic=True)
    conn.create_function("day_start_utc", 1, day_start_utc)
    conn.create_function("local_today", 0, local_today)


@hookimpl
def startup(datasette):
    # Datasette names a database after its file (macli-demo.db is /macli-demo/); the
    # store is served as /macli/ whatever the file is called, so documented URLs work.
    for name, database in list(datasette.databases.items()):
        if database.path and name != DATABASE_NAME:
            datasette.remove_database(name)
            datasette.add_database(database, name=DATABASE_NAME)
