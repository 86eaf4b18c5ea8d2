"""The one rule for text that enters the store, and the one way stored text is shown.

Every text from any input (an option, an argument, a file, an import, a message from
another system) goes through `clean(value, field)` before it is stored: control
characters (ESC, BEL, backspace, NUL, DEL, the C1 range, ...) are refused, or removed
with `strip=True` where a file is better served by losing them than by being refused;
line breaks and tabs are kept only in a multi-line field (`multiline=True`), where a
carriage return becomes a line break. Text that is not UTF-8 (a lone surrogate, as
Python hands over undecodable bytes) is refused everywhere.

What is already in the store (written before this rule, or by `sqlite3`) is shown
through `escape(value)` in tables: a control character is printed as a visible escape
such as `\\x1b`, never raw, so no stored text can retitle, clear or rewrite a terminal.

This module never imports click: core functions call it; the command line applies it
to every plain text option and argument (macli/cli.py).
"""

from __future__ import annotations

import re

from macli.errors import Invalid

# Cc: C0 controls, DEL and the C1 range (0x9b is a one-byte CSI on some terminals).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Line and paragraph separators end a line for some readers: not in a one-line field.
_SEPARATORS = re.compile(r"[\u2028\u2029]")
# What a table shows escaped besides controls: the bidirectional embeddings, overrides
# and isolates, which reorder the rest of a printed line (the row's other cells).
_SHOWN_ESCAPED = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")

_NAMES = {
    "\x00": "NUL",
    "\x07": "BEL",
    "\x08": "backspace",
    "\t": "a tab",
    "\n": "a line break",
    "\r": "a carriage return",
    "\x1b": "ESC",
    "\x7f": "DEL",
}


def describe(character: str) -> str:
    """How an error names a character: `ESC (U+001B)`."""
    name = _NAMES.get(character)
    code = f"U+{ord(character):04X}"
    return f"{name} ({code})" if name else code


def clean(value: str | None, field: str, *, multiline: bool = False, strip: bool = False):
    """`value` as it may be stored in `field`, or Invalid naming what was refused.

    One-line fields take no control character at all (no line break, no tab);
    multi-line fields keep line breaks and tabs (CR LF and CR become LF). With
    `strip=True` the refused characters are removed instead (a line break or tab in a
    one-line field becomes a space). None stays None.
    """
    if value is None:
        return None
    value = str(value)
    if _SURROGATE.search(value):
        raise Invalid(f"{field} is not UTF-8 text")
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        pattern = _CONTROL_EXCEPT_LINES
    else:
        if strip:
            value = re.sub(r"[\t\n\r\u2028\u2029]", " ", value)
        pattern = _CONTROL
    if strip:
        return pattern.sub("", value)
    found = pattern.search(value) or (None if multiline else _SEPARATORS.search(value))
    if found:
        character = found.group()
        if not multiline and character in "\n\r\u2028\u2029":
            raise Invalid(f"{field} must be one line: it may not contain a line break")
        raise Invalid(
            f"{field} may not contain control characters "
            f"(found {describe(character)} at character {found.start() + 1})"
        )
    return value


def refuse_nul(text: str, what: str) -> str:
    """`text` read from a file, or Invalid naming the line of its first NUL byte.

    A NUL in a text file means a binary file or one saved as UTF-16: nothing in it can
    be trusted to be what it looks like, so the whole file is refused.
    """
    position = text.find("\x00")
    if position >= 0:
        line = text.count("\n", 0, position) + 1
        raise Invalid(
            f"{what} has a NUL byte on line {line}: it is not plain text "
            "(save it as UTF-8 text or CSV and try again)"
        )
    return text


def escape(value):
    """A value as a table shows it: control characters as visible escapes (`\\x1b`).

    Line breaks stay (a table cell may have several lines); everything else that could
    move the cursor, ring, retitle or reorder the terminal is shown as `\\xNN` or
    `\\uNNNN`. Values that are not text are returned as they are.
    """
    if not isinstance(value, str) or not _SHOWN_ESCAPED.search(value):
        return value
    return _SHOWN_ESCAPED.sub(_visible, value)


def _visible(match: re.Match) -> str:
    character = match.group()
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def redact(text: str | None, secrets: list[str | None]) -> str | None:
    """`text` (a server's reply, an error) with every secret in it replaced by `[secret]`.

    A secret is found written plainly, URL-encoded, or in base64 at any alignment and in
    either alphabet (so `Basic base64(account:token)` echoed back, or an AUTH PLAIN
    string, is caught through the token inside it). Whatever a transport stores or
    prints from a reply goes through here first."""
    if not text:
        return text
    for form in sorted(_secret_forms(secrets), key=len, reverse=True):
        text = text.replace(form, "[secret]")
    return text


_SHORTEST_FORM = 6  # a shorter piece of base64 could be anything


def _secret_forms(secrets) -> set[str]:
    import base64
    from urllib.parse import quote, quote_plus

    forms: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        raw = secret.encode("utf-8")
        encoded_forms = {quote(secret, safe=""), quote_plus(secret)}
        encoded_forms |= {
            re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), f) for f in encoded_forms
        }
        encoded_forms |= {form.replace("%", "%25") for form in encoded_forms}
        forms |= {secret, *encoded_forms}
        for lead in range(3):
            # The characters of base64(prefix + secret) that depend only on the secret's
            # bytes: after the prefix's share, before the share of what follows.
            encoded = base64.b64encode(b"\0" * lead + raw).decode("ascii")
            start = -(-8 * lead // 6)
            end = 8 * (lead + len(raw)) // 6
            core = encoded[start:end]
            if len(core) >= _SHORTEST_FORM:
                forms.update({core, core.replace("+", "-").replace("/", "_")})
    return {form for form in forms if len(form) >= 4}


# Latin letters that have no decomposition to ASCII, written the way they are romanised.
_LATIN = {
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "œ": "oe", "Œ": "OE",
    "ı": "i", "ħ": "h", "Ħ": "H", "ŀ": "l", "Ŀ": "L",
    "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-",
    "\u2013": "-", "\u2014": "-", "\u00a0": " ",
}  # fmt: skip


def ascii_form(value: str | None) -> tuple[str, str]:
    """(the text in ASCII, the letters and digits that have no ASCII form).

    Accents fall away (`José Núñez` -> `Jose Nunez`), a few Latin letters are
    romanised (`Groß` -> `Gross`); letters of other scripts (`王伟`, `Иван`) cannot be
    written and are returned in the second part, for the caller to refuse."""
    import unicodedata

    kept, lost = [], []
    for character in value or "":
        if character.isascii():
            kept.append(character)
            continue
        mapped = _LATIN.get(character)
        if mapped is None:
            decomposed = unicodedata.normalize("NFKD", character)
            mapped = "".join(c for c in decomposed if not unicodedata.combining(c))
        if mapped.isascii():
            kept.append(mapped)
        elif character.isalnum():
            lost.append(character)
        else:
            kept.append(" ")  # a symbol or mark of no meaning in a name or an address
    return "".join(kept), "".join(lost)
