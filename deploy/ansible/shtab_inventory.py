#!/usr/bin/env python3
"""Ansible dynamic inventory from the Shtab hub.

    SHTAB_INVENTORY_URL=https://shtab.example.org/<inventory endpoint> \
    SHTAB_INVENTORY_TOKEN_FILE=/etc/shtab/inventory-token \
    ansible-playbook -i deploy/ansible/shtab_inventory.py deploy/ansible/shtab-access.yml

The hub answers in Ansible's inventory-script format (groups -> hosts, `_meta.hostvars`
with `shtab_accounts` per host); this script only adds the bearer token, so the token
never appears on a command line.
"""
import json
import os
import sys
import urllib.parse
import urllib.request


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--host":
        # Everything is in _meta.hostvars.
        print("{}")
        return
    url = os.environ.get("SHTAB_INVENTORY_URL")
    token_file = os.environ.get("SHTAB_INVENTORY_TOKEN_FILE")
    if not url or not token_file:
        sys.exit("set SHTAB_INVENTORY_URL and SHTAB_INVENTORY_TOKEN_FILE")
    parsed = urllib.parse.urlsplit(url)
    loopback = parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "localhost", "::1")
    if parsed.scheme != "https" and not loopback:
        sys.exit("SHTAB_INVENTORY_URL must use https:// (plain http only to this machine)")
    with open(token_file, encoding="utf-8") as f:
        token = f.read().strip()
    request = urllib.request.Request(
        url, headers={"Authorization": "Bearer " + token, "Accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        inventory = json.load(response)
    json.dump(inventory, sys.stdout)


if __name__ == "__main__":
    main()
