#!/usr/bin/env bash
# shtab-agent on one host: convergence of N accounts (default 500) by the agent against
# ansible-core doing the same through ssh to a local sshd, and the latency of
# `shtab-agent keys USER` (sshd's AuthorizedKeysCommand) from the agent's cache.
#
#   sudo bench/agent.sh
#
# Settings (environment):
#   BENCH_ACCOUNTS      accounts (default 500)
#   BENCH_KEYS_CALLS    `keys` calls per latency figure (default 1000)
#   BENCH_ANSIBLE       1 (default) to run the ansible-core side, 0 to skip it
#   BENCH_ANSIBLE_VENV  where ansible-core is pip-installed (default /tmp/shtab-bench-ansible;
#                       created when missing, kept for the next run)
#   BENCH_LOGS          a directory to keep the runs' logs in (default: not kept)
#
# Runs as root: it creates N real unix accounts (sb0000…, uids 51000…) and removes them
# again (userdel -r), also after a failure or ^C. The stand-in hub (bench/agent_hub.py) and
# sshd listen on 127.0.0.1 only. Needs cargo, python3, openssh-server, openssh-client.
set -euo pipefail

ACCOUNTS=${BENCH_ACCOUNTS:-500}
CALLS=${BENCH_KEYS_CALLS:-1000}
ANSIBLE=${BENCH_ANSIBLE:-1}
VENV=${BENCH_ANSIBLE_VENV:-/tmp/shtab-bench-ansible}
PREFIX=sb
FIRST_UID=51000
TOKEN="bench-token-$$-$RANDOM"

cd "$(dirname "$0")/.."
# shellcheck source=bench/aim.sh
source bench/aim.sh
REPO=$(pwd)

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}

[ "$(id -u)" = 0 ] || die "run as root: the bench creates unix accounts"
for tool in /usr/sbin/sshd ssh ssh-keygen useradd userdel python3 cargo; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install openssh-server openssh-client)"
done
# Logins and uids the bench would take must be free.
for i in 0 $((ACCOUNTS - 1)); do
    login=$(printf '%s%04d' "$PREFIX" "$i")
    ! getent passwd "$login" >/dev/null || die "$login exists already; remove the bench's accounts first"
    ! getent passwd $((FIRST_UID + i)) >/dev/null || die "uid $((FIRST_UID + i)) is taken"
done

# sshd refuses a keys command or key file under a world-writable directory such as /tmp.
WORK=$(mktemp -d /run/shtab-bench-agent.XXXXXX)
chmod 0755 "$WORK"
HUB_PID=""
SSHD_PID=""
cleanup() {
    [ -n "$HUB_PID" ] && kill "$HUB_PID" 2>/dev/null || true
    [ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null || true
    remove_accounts
    if [ -n "${BENCH_LOGS:-}" ]; then
        mkdir -p "$BENCH_LOGS" && cp "$WORK"/*.log "$BENCH_LOGS"/ 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
remove_accounts() {
    local i login
    for ((i = 0; i < ACCOUNTS; i++)); do
        login=$(printf '%s%04d' "$PREFIX" "$i")
        if getent passwd "$login" >/dev/null; then
            userdel --remove --force "$login" 2>/dev/null || true
        fi
    done
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

say "building shtab-agent (release)"
cargo build --release -q -p shtab-agent
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
mkdir -m 0755 "$WORK/bin"
install -m 0755 "$TARGET_DIR/release/shtab-agent" "$WORK/bin/shtab-agent"
AGENT="$WORK/bin/shtab-agent"

say "generating $ACCOUNTS accounts with one ed25519 key each"
mkdir -m 0700 "$WORK/client"
: >"$WORK/client/all.pub"
for ((i = 0; i < ACCOUNTS; i++)); do
    ssh-keygen -q -t ed25519 -N '' -C "bench$i" -f "$WORK/client/k$i"
    cat "$WORK/client/k$i.pub" >>"$WORK/client/all.pub"
done
python3 bench/agent_accounts.py "$ACCOUNTS" "$PREFIX" "$FIRST_UID" "$WORK/client/all.pub" \
    "$WORK/state.json" "$WORK/vars.json"

say "starting the stand-in hub"
python3 bench/agent_hub.py "$WORK/state.json" "$TOKEN" "$WORK/hub.port" &
HUB_PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/hub.port" ] && break; sleep 0.05; done
[ -s "$WORK/hub.port" ] || die "the stand-in hub did not start"
HUB="http://127.0.0.1:$(cat "$WORK/hub.port")"

printf '%s\n' "$TOKEN" >"$WORK/client/token"
mkdir -m 0755 "$WORK/sudoers.d"
"$AGENT" --config "$WORK/agent.toml" --state-dir "$WORK/state" \
    --keys-dir "$WORK/authorized_keys" --sudoers-dir "$WORK/sudoers.d" \
    register --hub "$HUB" --token-file "$WORK/client/token" >/dev/null

say "agent: first run (creates $ACCOUNTS accounts)"
t0=$(now)
"$AGENT" --config "$WORK/agent.toml" run >"$WORK/agent-run1.log"
t1=$(now)
AGENT_COLD=$(elapsed "$t0" "$t1")
grep -q "applied $((ACCOUNTS * 2)) change(s)" "$WORK/agent-run1.log" || die "the agent run did not apply every account: $(head -3 "$WORK/agent-run1.log")"
[ "$(ls "$WORK/authorized_keys" | wc -l)" = "$ACCOUNTS" ] || die "not every keys file was written"

say "agent: second run (nothing to change)"
t0=$(now)
"$AGENT" --config "$WORK/agent.toml" run >"$WORK/agent-run2.log"
t1=$(now)
AGENT_WARM=$(elapsed "$t0" "$t1")
grep -q "applied 0 change(s)" "$WORK/agent-run2.log" || die "the second run changed something: $(head -3 "$WORK/agent-run2.log")"

LOGINS=()
for i in 0 1 2 3 4 5; do LOGINS+=("$(printf '%s%04d' "$PREFIX" $((i * (ACCOUNTS - 1) / 5)))"); done
say "keys: $CALLS calls with the hub up (conditional request, 304)"
read -r KEYS_UP_P50 KEYS_UP_P99 KEYS_UP_MAX < <(python3 bench/agent_latency.py "$CALLS" "$AGENT" "$WORK/agent.toml" "${LOGINS[@]}")
kill "$HUB_PID"
wait "$HUB_PID" 2>/dev/null || true
HUB_PID=""
say "keys: $CALLS calls with the hub down (from the cache)"
read -r KEYS_P50 KEYS_P99 KEYS_MAX < <(python3 bench/agent_latency.py "$CALLS" "$AGENT" "$WORK/agent.toml" "${LOGINS[@]}")

say "removing the agent's accounts"
remove_accounts

ANSIBLE_COLD="-"
ANSIBLE_WARM="-"
if [ "$ANSIBLE" = 1 ]; then
    if [ ! -x "$VENV/bin/ansible-playbook" ]; then
        say "installing ansible-core into $VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q ansible-core
    fi
    say "starting sshd on a loopback port for ansible (root, key only)"
    ssh-keygen -q -t ed25519 -N '' -f "$WORK/client/root"
    ssh-keygen -q -t ed25519 -N '' -f "$WORK/host_key"
    mkdir -m 0755 "$WORK/root_keys"
    install -m 0644 "$WORK/client/root.pub" "$WORK/root_keys/root"
    mkdir -p /run/sshd
    SSH_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat >"$WORK/sshd_config" <<CONF
ListenAddress 127.0.0.1
PidFile none
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $WORK/root_keys/%u
MaxSessions 50
CONF
    /usr/sbin/sshd -D -e -f "$WORK/sshd_config" -h "$WORK/host_key" -p "$SSH_PORT" 2>"$WORK/sshd.log" &
    SSHD_PID=$!
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$SSH_PORT") 2>/dev/null && break
        sleep 0.05
    done
    cat >"$WORK/inventory.ini" <<INV
bench ansible_host=127.0.0.1 ansible_port=$SSH_PORT ansible_user=root ansible_ssh_private_key_file=$WORK/client/root ansible_python_interpreter=/usr/bin/python3 ansible_become=false
INV
    # Ansible's usual fast settings: pipelining and a persistent ssh connection.
    cat >"$WORK/ansible.cfg" <<CFG
[defaults]
host_key_checking = False
[ssh_connection]
pipelining = True
ssh_args = -C -o ControlMaster=auto -o ControlPersist=120s -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no
CFG
    run_playbook() {
        ANSIBLE_CONFIG="$WORK/ansible.cfg" "$VENV/bin/ansible-playbook" -i "$WORK/inventory.ini" \
            -e "@$WORK/vars.json" -e "shtab_keys_dir=$WORK/ansible_keys" -e "shtab_sudoers_dir=$WORK/sudoers.d" \
            "$REPO/deploy/ansible/shtab-access.yml"
    }
    say "ansible-core: first run (creates $ACCOUNTS accounts through ssh)"
    t0=$(now)
    run_playbook >"$WORK/ansible-run1.log" 2>&1 || die "ansible failed: $(tail -20 "$WORK/ansible-run1.log")"
    t1=$(now)
    ANSIBLE_COLD=$(elapsed "$t0" "$t1")
    [ "$(ls "$WORK/ansible_keys" | wc -l)" = "$ACCOUNTS" ] || die "ansible did not write every keys file"
    getent passwd "$(printf '%s%04d' "$PREFIX" $((ACCOUNTS - 1)))" >/dev/null || die "ansible did not create the accounts"
    say "ansible-core: second run (nothing to change)"
    t0=$(now)
    run_playbook >"$WORK/ansible-run2.log" 2>&1 || die "ansible failed: $(tail -20 "$WORK/ansible-run2.log")"
    t1=$(now)
    ANSIBLE_WARM=$(elapsed "$t0" "$t1")
    grep -q "changed=0" "$WORK/ansible-run2.log" || say "note: ansible's second run reported changes: $(grep -o 'changed=[0-9]*' "$WORK/ansible-run2.log")"
    kill "$SSHD_PID"
    SSHD_PID=""
fi

ratio() { python3 -c "import sys; a,b=sys.argv[1:]; print('-' if a=='-' else '%.1f×' % (float(a)/float(b)))" "$1" "$2"; }
printf '\n%-44s %12s %12s %10s\n' "convergence, $ACCOUNTS accounts (s)" "shtab-agent" "ansible-core" "ratio"
printf '%-44s %12s %12s %10s\n' "first run (create everything)" "$AGENT_COLD" "$ANSIBLE_COLD" "$(ratio "$ANSIBLE_COLD" "$AGENT_COLD")"
printf '%-44s %12s %12s %10s\n' "second run (nothing to change)" "$AGENT_WARM" "$ANSIBLE_WARM" "$(ratio "$ANSIBLE_WARM" "$AGENT_WARM")"
printf '\n%-44s %8s %8s %8s\n' "shtab-agent keys USER ($CALLS calls, ms)" "p50" "p99" "max"
printf '%-44s %8s %8s %8s\n' "hub down: from the cache" "$KEYS_P50" "$KEYS_P99" "$KEYS_MAX"
printf '%-44s %8s %8s %8s\n' "hub up: conditional request (304)" "$KEYS_UP_P50" "$KEYS_UP_P99" "$KEYS_UP_MAX"
if [ "$ANSIBLE_COLD" != "-" ]; then
    echo
    aim "first run, ansible-core's time over shtab-agent's" \
        "$(python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$ANSIBLE_COLD" "$AGENT_COLD")" \
        ">=" 100 "×"
fi
