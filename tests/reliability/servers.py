"""Misbehaving servers for `remind send`, on top of tests/servers.py: a mail server that
drops the connection mid-batch (the SMS provider's faults live in tests/servers.py)."""

from __future__ import annotations

import time

from tests.servers import Mailbox


class DroppingMailbox(Mailbox):
    """A mail server that hangs up on the Nth message of a connection: before taking it
    ("before") or after taking it but before saying so ("after")."""

    def __init__(self, drop_at: int | None = None, when: str = "before"):
        super().__init__()
        self.drop_at, self.when = drop_at, when
        self.dropped = 0
        self.per_connection: dict[int, int] = {}

    async def handle_DATA(self, server, session, envelope):
        number = self.per_connection[id(session)] = self.per_connection.get(id(session), 0) + 1
        if self.drop_at is not None and number == self.drop_at and not self.dropped:
            self.dropped += 1
            if self.when == "after":
                await super().handle_DATA(server, session, envelope)
            server.transport.close()
            return "421 closing"  # never reaches the client: the connection is gone
        return await super().handle_DATA(server, session, envelope)


def wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False
