"""Languages as BCP 47 tags (`es`, `pt-BR`, `vi`), checked with langcodes, and the
English names the desk reads ("interpreter: Spanish")."""

from __future__ import annotations

from macli.errors import Invalid
from macli.store import Store


def check(text: str) -> tuple[str, str]:
    """A valid BCP 47 tag in its standard form, and its English name."""
    # Imported here: langcodes and its name data take most of a second to load.
    import langcodes

    value = (text or "").strip()
    if not value or not langcodes.tag_is_valid(value):
        raise Invalid(f"{text!r} is not a BCP 47 language code (e.g. en, es, pt-BR, vi)")
    language = langcodes.Language.get(value)
    if not language.language or language.language in ("und", "zxx", "mis", "mul"):
        raise Invalid(f"{text!r} does not name a language (e.g. en, es, pt-BR, vi)")
    tag = langcodes.standardize_tag(value)
    return tag, language.display_name("en")


def register(store: Store, text: str) -> str:
    """The standard tag of `text`, its name kept in `languages` (inside a write)."""
    tag, name = check(text)
    store.execute(
        "INSERT INTO languages (code, name) VALUES (?, ?) ON CONFLICT (code) DO NOTHING",
        [tag, name],
    )
    return tag


def name(store: Store, code: str | None) -> str | None:
    """The English name of a stored language code."""
    if not code:
        return None
    return store.scalar("SELECT name FROM languages WHERE code = ?", [code]) or code
