#!/usr/bin/env python3
"""Writes the desired state for bench/agent.sh: N accounts with one key each, as the agent
protocol's JSON (for the stand-in hub) and as Ansible extra vars (`shtab_accounts`).

    agent_accounts.py N PREFIX FIRST_UID KEYS_FILE STATE_JSON ANSIBLE_VARS_JSON

KEYS_FILE holds N public key lines (from ssh-keygen).
"""
import json
import sys

n, prefix, first_uid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
keys_file, state_file, vars_file = sys.argv[4], sys.argv[5], sys.argv[6]
with open(keys_file) as f:
    keys = [line.strip() for line in f if line.strip()]
assert len(keys) >= n, "not enough keys"
accounts = [
    {
        "login": "%s%04d" % (prefix, i),
        "uid": first_uid + i,
        "full_name": "Сотрудник %d" % i,
        "shell": "/bin/bash",
        "groups": [],
        "sudo": False,
        "keys": [keys[i]],
        "state": "present",
    }
    for i in range(n)
]
with open(state_file, "w") as f:
    json.dump({"server": "bench", "revision": "1", "accounts": accounts}, f, ensure_ascii=False)
with open(vars_file, "w") as f:
    json.dump({"shtab_accounts": accounts}, f, ensure_ascii=False)
