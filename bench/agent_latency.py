#!/usr/bin/env python3
"""Latency of `shtab-agent keys LOGIN` as sshd runs it (a new process per login): runs it
COUNT times over LOGINS and prints "p50_ms p99_ms max_ms". Fails if an answer is empty.

    agent_latency.py COUNT AGENT CONFIG LOGIN...
"""
import subprocess
import sys
import time

count, agent, config, logins = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
samples = []
for i in range(count):
    login = logins[i % len(logins)]
    started = time.perf_counter()
    out = subprocess.run([agent, "--config", config, "keys", login], capture_output=True)
    samples.append((time.perf_counter() - started) * 1000)
    if out.returncode != 0 or not out.stdout.startswith(b"ssh-ed25519 "):
        sys.exit("keys %s answered %r (%s)" % (login, out.stdout, out.stderr))
samples.sort()


def pct(p):
    return samples[min(len(samples) - 1, int(len(samples) * p))]


print("%.2f %.2f %.2f" % (pct(0.50), pct(0.99), samples[-1]))
