"""Start real servers on loopback for benchmarks, and drive bounded load at them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def uvicorn_server(target: str, env: dict[str, str] | None = None, *, factory: bool = False) -> Iterator[str]:
    """Run ``uvicorn target`` in a subprocess on a free loopback port; yields its base URL."""
    options = ["--log-level", "warning", "--no-access-log", *(["--factory"] if factory else [])]
    with loopback_process(
        ["-m", "uvicorn", target, "--host", "127.0.0.1", "--port", "{port}", *options], env
    ) as base:
        yield base


@contextlib.contextmanager
def loopback_process(arguments: list[str], env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``python <arguments>`` (``{port}`` replaced by a free loopback port) until it answers HTTP;
    yields its base URL and stops it afterwards. A fake API in its own process does not share the
    measured process's CPU."""
    with loopback_command([sys.executable, *arguments], env) as (base, _process):
        yield base


@contextlib.contextmanager
def loopback_command(
    command: list[str],
    env: dict[str, str] | None = None,
    *,
    stop_seconds: float = 10,
    stderr: IO[bytes] | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run ``command`` (``{port}`` replaced by a free loopback port) until it answers HTTP; yields its
    base URL and process (a server's workers are its children), and stops it afterwards. Its stderr
    (the logs) goes to ``stderr`` when given, else to ours."""
    port = free_port()
    process = subprocess.Popen(
        [a.replace("{port}", str(port)) for a in command],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)  # any answer under 500 means it listens
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=stop_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def connection_owners(parent: int, server_port: int, client_ports: list[int]) -> dict[int, int]:
    """Which process (``parent`` or one of its workers) holds the server end of each loopback
    connection, as {client port: pid}, read from /proc: the server end is the socket whose local port is
    the server's and whose remote port is the client's."""
    inodes: dict[int, str] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                local, remote = (int(address.rsplit(":", 1)[1], 16) for address in fields[1:3])
                if local == server_port and remote in client_ports:
                    inodes[remote] = f"socket:[{fields[9]}]"
    owners: dict[str, int] = {}
    for pid in [parent, *_children(parent)]:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    owners[os.readlink(f"/proc/{pid}/fd/{fd}")] = pid
    return {port: owners[inode] for port, inode in inodes.items() if inode in owners}


def _children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == parent:  # the field after the state
                    found.append(int(entry))
    return found


def webhook_only_app() -> Any:
    """The app without the NLU model: the inbound worker is off, stored messages wait in the queue."""
    from api.app import create_app

    return create_app(load_conversations=False)


def _wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/healthz", timeout=1).status_code < 500:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server at {base} did not start in {timeout} s")


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "requests": self.requests,
            "per_second": round(self.per_second, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "errors": self.errors,
        }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def drive(
    request: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
    *,
    total: int,
    concurrency: int,
    warmup: int = 20,
) -> LoadResult:
    """Send ``total`` requests, ``concurrency`` at a time; request(client, i) makes the i-th one."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        for i in range(warmup):
            await request(client, -1 - i)
        latencies: list[float] = []
        errors = 0
        counter = iter(range(total))

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                started = time.perf_counter()
                response = await request(client, i)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code >= 400:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return LoadResult(total, elapsed, percentile(latencies, 0.5), percentile(latencies, 0.99), errors)
