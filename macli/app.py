"""The App handed to every command: store path, acting user, clock and clinic zone."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from macli.store import Store


def default_db_path() -> Path:
    """`macli.db` in the per-user application folder (click.get_app_dir)."""
    import click

    return Path(click.get_app_dir("macli")) / "macli.db"


def login_name() -> str:
    # What getpass.getuser() answers, without importing getpass (and termios) on every run.
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        if os.environ.get(name):
            return os.environ[name]
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except (KeyError, OSError):
        return f"uid{os.getuid()}"


class App:
    """What a command needs from its surroundings; opens the store on first use."""

    def __init__(
        self,
        db_path: Path | str,
        user: str,
        now_text: str | None = None,
        *,
        create: bool = False,
    ):
        self.db_path = Path(db_path)
        # Only the default store is created on first use; a path given with --db or
        # MACLI_DB must already hold a store (`macli init` makes one).
        self.create = create
        self.user = user
        self.now_text = now_text
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            from macli.migrations import open_store

            self._store = open_store(self.db_path, create=self.create)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @cached_property
    def zone(self) -> ZoneInfo:
        from macli import settings
        from macli.when import zone

        return zone(settings.get(self.store, "clinic.timezone"))

    @cached_property
    def now(self) -> datetime:
        """The clock of this invocation (aware, UTC): `--now` when given, else the system."""
        if self.now_text:
            from macli.when import parse_now

            return parse_now(self.now_text, self.zone)
        return datetime.now(UTC).replace(microsecond=0)

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.zone)

    @property
    def today(self) -> date:
        return self.local_now.date()

    def setting(self, key: str) -> str | None:
        from macli import settings

        return settings.get(self.store, key)
