"""The one family of expected failures; the root group turns them into `Error: ...`."""


class MacliError(Exception):
    """An expected failure with a message meant for the user."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(MacliError):
    """The thing asked for does not exist."""


class Invalid(MacliError):
    """The input cannot be accepted as given."""


class Conflict(MacliError):
    """The change would clash with what is already recorded."""
