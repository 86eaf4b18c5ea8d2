"""Replication with real replicas: Litestream itself ships and restores the store, to a
folder and to an S3-compatible server; every acknowledged write comes back."""

from __future__ import annotations

import sqlite3
import stat
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.replicate.conftest import macli, wait_replicated


def mrns(path: Path) -> set[str]:
    connection = sqlite3.connect(path)
    try:
        return {row[0] for row in connection.execute("SELECT mrn FROM patients")}
    finally:
        connection.close()


def writers(env, count: int, each: int) -> list[str]:
    """`count` processes adding `each` patients at once; the MRNs acknowledged (exit 0)."""
    acknowledged: list[str] = []
    lock = threading.Lock()

    def work(worker: int):
        for n in range(each):
            code, out, _ = macli(
                "patient",
                "add",
                f"Writer{worker} Test{n}",
                "--dob",
                "1980-01-01",
                "--sex",
                "F",
                env=env,
                check=False,
            )
            if code == 0:
                with lock:
                    acknowledged.append(out.strip())

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return acknowledged


def test_setup_writes_a_private_config_without_credentials(run, env, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t-value-never-written")
    replica = tmp_path / "offsite"
    result = run(f"replicate setup --to file://{replica} --retention 30d")
    config = Path(f"{tmp_path / 'macli.db'}.litestream.yml")
    text = config.read_text()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(replica.stat().st_mode) == 0o700
    assert "s3cr3t" not in text and "s3cr3t" not in result.output
    assert "retention: 720h" in text and f'url: "file://{replica}"' in text
    assert "replicate run" in result.output  # how to run it as a service
    # The first snapshot reached the replica: it can be restored at once.
    code, out, _ = macli(
        "restore", "--from", f"file://{replica}", "--to", str(tmp_path / "r.db"), env=env
    )
    assert "store is sound" in out


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://host/x", "cannot replicate to"),
        ("s3://bucket", "needs a path"),
        ("sftp://nurse:hunter2@backup.example.org/macli", "must not carry a password"),
        ("s3://bucket/macli?secretKey=abc", "may not set 'secretKey'"),
        ("file://relative/folder", "absolute folder"),
    ],
)
def test_setup_refuses_bad_urls_and_writes_nothing(run, env, tmp_path, url, message):
    result = run(["replicate", "setup", "--to", url], expect=1)
    assert message in result.stderr and "hunter2" not in result.stderr
    assert not Path(f"{tmp_path / 'macli.db'}.litestream.yml").exists()


def test_setup_against_an_unreachable_replica_leaves_no_config(run, env, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y-secret")
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"s3://nobucket/macli?endpoint=http://127.0.0.1:{port}&region=us-east-1"
    result = run(["replicate", "setup", "--to", url], expect=1)
    assert result.stderr.startswith("Error: litestream replicate failed")
    assert "y-secret" not in result.stderr
    assert not Path(f"{tmp_path / 'macli.db'}.litestream.yml").exists()


def test_concurrent_writes_while_replicating_all_come_back(run, env, tmp_path, replicator):
    replica = tmp_path / "replica"
    run(f"replicate setup --to file://{replica}")
    replicator.start()
    acknowledged = writers(env, count=4, each=4)
    assert len(acknowledged) == 16  # nothing blocked past the busy timeout
    wait_replicated(env)
    replicator.stop()
    restored = tmp_path / "restored.db"
    code, out, _ = macli("restore", "--from", f"file://{replica}", "--to", str(restored), env=env)
    assert "store is sound" in out
    assert stat.S_IMODE(restored.stat().st_mode) == 0o600
    assert set(acknowledged) <= mrns(restored)
    # Never over an existing file.
    code, _, err = macli(
        "restore", "--from", f"file://{replica}", "--to", str(restored), env=env, check=False
    )
    assert code == 1 and "already exists" in err


def test_restore_to_a_point_in_time_between_two_writes(run, env, tmp_path, replicator):
    replica = tmp_path / "replica"
    run(f"replicate setup --to file://{replica}")
    replicator.start()
    _, first, _ = macli(
        "patient", "add", "Early Patient", "--dob", "1970-01-01", "--sex", "M", env=env
    )
    wait_replicated(env)
    time.sleep(1.5)
    between = datetime.now(UTC).replace(microsecond=0)
    time.sleep(1.5)
    _, second, _ = macli(
        "patient", "add", "Late Patient", "--dob", "1970-01-01", "--sex", "M", env=env
    )
    wait_replicated(env)
    replicator.stop()
    restored = tmp_path / "then.db"
    macli(
        "restore",
        "--from",
        f"file://{replica}",
        "--to",
        str(restored),
        "--at",
        between.strftime("%Y-%m-%dT%H:%M:%SZ"),
        env=env,
    )
    assert first.strip() in mrns(restored)
    assert second.strip() not in mrns(restored)


def test_status_reports_lag_and_exits_1_past_the_threshold(run, env, tmp_path, replicator):
    replica = tmp_path / "replica"
    run(f"replicate setup --to file://{replica}")
    code, out, _ = macli("replicate", "status", env=env)
    assert "up to date" in out
    run("config set replicate.max_lag 2s")
    time.sleep(7)  # nothing runs Litestream now: this change is not shipped
    macli("patient", "add", "Unshipped Person", "--dob", "1990-05-05", "--sex", "F", env=env)
    code, out, err = macli("replicate", "status", env=env, check=False)
    assert code == 1 and "behind the store" in err
    assert "Unshipped" not in out + err  # no patient data for cron to mail
    replicator.start()
    wait_replicated(env)
    code, out, _ = macli("replicate", "status", "-f", "json", env=env)
    assert '"ok": true' in out


def test_drill_passes_on_a_good_replica_and_fails_on_a_damaged_one(run, env, tmp_path, replicator):
    replica = tmp_path / "replica"
    run(f"replicate setup --to file://{replica}")
    replicator.start()
    writers(env, count=2, each=3)
    wait_replicated(env)
    code, out, _ = macli("restore", "drill", env=env)
    assert out.startswith("Restore drill passed (replica ") and "audit head #" in out
    replicator.stop()
    # Damage every file the replica holds: the drill must say so, not pass.
    for path in replica.rglob("*.ltx"):
        data = bytearray(path.read_bytes())
        for offset in range(100, len(data), 97):
            data[offset] ^= 0xFF
        path.write_bytes(bytes(data))
    code, out, err = macli("restore", "drill", env=env, check=False)
    assert code == 1 and err.startswith("Error: restore drill FAILED")
    assert "Writer" not in out + err


def test_a_killed_replicator_restarts_and_the_restore_is_complete(run, env, tmp_path, replicator):
    replica = tmp_path / "replica"
    run(f"replicate setup --to file://{replica}")
    replicator.start()
    acknowledged: list[str] = []
    done = threading.Event()

    def keep_writing():
        acknowledged.extend(writers(env, count=2, each=6))
        done.set()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    time.sleep(2.0)
    replicator.kill()  # SIGKILL mid-stream
    time.sleep(0.5)
    replicator.start()
    thread.join()
    assert len(acknowledged) == 12
    wait_replicated(env)
    replicator.stop()
    restored = tmp_path / "after-kill.db"
    code, out, _ = macli("restore", "--from", f"file://{replica}", "--to", str(restored), env=env)
    assert "store is sound" in out
    assert set(acknowledged) <= mrns(restored)


def test_s3_compatible_replica_round_trip(run, env, tmp_path, replicator, s3_server, monkeypatch):
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "test-key-id"),
        ("AWS_SECRET_ACCESS_KEY", "test-secret-never-printed"),
        (
            "AWS_CA_BUNDLE",
            "/nonexistent/bundle.pem",
        ),  # Litestream refuses it; plain http needs none
    ):
        monkeypatch.setenv(name, value)
        env[name] = value
    url = f"s3://clinic-replica/macli?endpoint={s3_server}&region=us-east-1"
    result = run(["replicate", "setup", "--to", url])
    assert "test-secret" not in result.output
    replicator.start()
    acknowledged = writers(env, count=3, each=4)
    wait_replicated(env)
    code, out, _ = macli("restore", "drill", env=env)
    assert "Restore drill passed" in out and "test-secret" not in out
    replicator.stop()
    restored = tmp_path / "from-s3.db"
    macli("restore", "--from", url, "--to", str(restored), env=env)
    assert set(acknowledged) <= mrns(restored)


def test_without_setup_status_says_how(run, env):
    result = run("replicate status", expect=1)
    assert "replicate setup --to URL" in result.stderr
