"""A plain ASCII reminder is written from headers made once per run: byte for byte what
the email package writes for the same message, and the email package for anything else."""

import random

from macli.remind import outbox, transports

NAMES = ["", "Riverside Family Practice", 'Dr. "Q" Clinic', "Smith, Jones & Co", "Clínica Sol"]
WORDS = [
    "Reminder:",
    "your",
    "visit",
    "with",
    "Dr.",
    "Chen",
    "on",
    "Wed",
    "Feb",
    "16",
    "at",
    "9:05",
    "AM",
    "Zoë",
    "—",
    "call",
    "(617)",
    "555-0100",
    "From",
    ".",
    "..",
    "=?x?=",
]


def _text(rng, lines):
    return "".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 12)))
        + rng.choice(["\n", "\r\n", "\r", "\n\n", ""])
        for _ in range(lines)
    )


def test_plain_bytes_equal_the_email_packages_and_everything_else_goes_its_way():
    rng = random.Random(5)
    date = "Thu, 26 Nov 2026 09:00:00 -0500"
    fast = 0
    for index in range(600):
        name = rng.choice(NAMES)
        address = "reminders@clinic.example.org"
        job = outbox.Job(
            index,
            1,
            "email",
            rng.choice(
                ["ana@example.org", "zoë@example.org", f"p{'x' * rng.randint(0, 70)}@e.org"]
            ),
            {"clinic_name": rng.choice(NAMES[1:])},
            transport_id=f"<remind.{index:024x}@clinic.example.org>",
        )
        subject = " ".join(_text(rng, 1).split()) if rng.random() < 0.9 else "  odd  spacing "
        body = _text(rng, rng.randint(0, 6))
        prepared = outbox.plain_composer(name, address, date)(job, subject, body)
        if prepared is None:
            continue
        fast += 1
        expected = outbox.classic_message(name, address, date, job, subject, body)
        assert prepared.data == expected.as_bytes(policy=transports._CRLF), (subject, body)
        assert prepared.message_id == expected["Message-ID"]
    assert fast > 50  # plain reminders take the fast way
