#!/usr/bin/env bash
# Load test of the hub with a realistic directory: builds `shtab` in release, and for each
# backend (SQLite; PostgreSQL when it is up) starts `shtab serve` on a free loopback port,
# creates an admin and an API token through the CLI, imports 10 000 people, and runs wrk
# against the API list call, the people page and a search on it. Prints one table at the
# end: backend, endpoint, requests/s, p50, p99; then the search's figures against their aims.
#
#   bench/api.sh                    # both backends
#   BENCH_BACKENDS=sqlite bench/api.sh
#
# Settings (environment):
#   BENCH_BACKENDS     "sqlite postgres" (default) or one of them
#   BENCH_PEOPLE       people to import (default 10000)
#   BENCH_DURATION     wrk duration per endpoint (default 15s)
#   BENCH_THREADS      wrk threads (default 2)
#   BENCH_CONNECTIONS  wrk connections (default 16)
#   BENCH_PG_SERVER    PostgreSQL server, without a database name
#                      (default postgres://postgres@127.0.0.1:5432)
#
# Everything listens on and talks to 127.0.0.1 only. The server, the temp directory and the
# PostgreSQL database (shtab_bench_<pid>) are removed on exit, also after a failure or ^C.
set -euo pipefail

PEOPLE=${BENCH_PEOPLE:-10000}
DURATION=${BENCH_DURATION:-15s}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
PG_SERVER=${BENCH_PG_SERVER:-postgres://postgres@127.0.0.1:5432}
PG_DB="shtab_bench_$$"
ADMIN_EMAIL=bench@agency.test
ADMIN_PASSWORD="bench-password-$$-$RANDOM$RANDOM"
# A surname the generator gives to about one person in twenty; the search finds them all
# (and their female namesakes), the page shows the first screenful.
SEARCH=Смирнов

cd "$(dirname "$0")/.."
# shellcheck source=bench/aim.sh
source bench/aim.sh

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
    printf 'bench: error: %s\n' "$*" >&2
    exit 1
}
need() { command -v "$1" >/dev/null || die "$1 is not installed (${2:-apt-get install $1})"; }

need cargo "install Rust from https://rustup.rs"
need curl
need wrk
need awk

work=$(mktemp -d -t shtab-bench.XXXXXX)
server_pid=""
pg_created=""

stop_server() {
    if [ -n "$server_pid" ]; then
        if kill -0 "$server_pid" 2>/dev/null; then
            kill -TERM "$server_pid" 2>/dev/null || true
            # Graceful shutdown first; a server that hangs on to connections gets KILL.
            for _ in $(seq 1 50); do
                kill -0 "$server_pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}

cleanup() {
    local status=$?
    stop_server
    if [ -n "$pg_created" ]; then
        psql -q "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 ||
            say "could not drop the database $PG_DB; drop it by hand"
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- build

say "building shtab (release)"
cargo build --release --quiet -p shtab --bin shtab
target_dir=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
SHTAB="$target_dir/release/shtab"
[ -x "$SHTAB" ] || die "the build did not produce $SHTAB"

# ---------------------------------------------------------------- helpers

# Percent-encodes $1 for a URL query (UTF-8 bytes as %XX).
urlencode() {
    local LC_ALL=C s=$1 out="" c i
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        case $c in
        [a-zA-Z0-9.~_-]) out+=$c ;;
        *) out+=$(printf '%%%02X' "'$c") ;;
        esac
    done
    printf '%s' "$out"
}

# Writes a CSV of $1 people with Russian names, unique e-mails and positions to $2.
generate_people() {
    awk -v n="$1" 'BEGIN {
        srand(20240601)
        split("Смирнов Иванов Кузнецов Соколов Попов Лебедев Козлов Новиков Морозов Петров Волков Соловьёв Васильев Зайцев Павлов Семёнов Голубев Виноградов Богданов Воробьёв", sur, " ")
        split("Александр Дмитрий Максим Сергей Андрей Алексей Артём Илья Кирилл Михаил Никита Матвей Роман Егор Арсений", male, " ")
        split("Анна Мария Елена Дарья Алина Ирина Екатерина Арина Полина Ольга Юлия Татьяна Наталья Анастасия Виктория", female, " ")
        split("Александрович Дмитриевич Сергеевич Андреевич Алексеевич Михайлович Игоревич Олегович", pm, " ")
        split("Александровна Дмитриевна Сергеевна Андреевна Алексеевна Михайловна Игоревна Олеговна", pf, " ")
        split("Разработчик|Ведущий разработчик|Тестировщик|Менеджер проектов|Аналитик|Дизайнер|Бухгалтер|Системный администратор|Руководитель отдела|Технический писатель", pos, "|")
        print "full_name,emails,phone,telegram,position"
        for (i = 1; i <= n; i++) {
            s = sur[int(rand() * 20) + 1]
            if (rand() < 0.5) {
                name = s " " male[int(rand() * 15) + 1] " " pm[int(rand() * 8) + 1]
            } else {
                name = s "а " female[int(rand() * 15) + 1] " " pf[int(rand() * 8) + 1]
            }
            printf "%s,person%05d@bench.test,+7 999 %03d-%02d-%02d,@person%05d,%s\n",
                name, i, int(i / 10000) % 1000, int(i / 100) % 100, i % 100, i, pos[int(rand() * 10) + 1]
        }
    }' >"$2"
}

# Runs wrk and appends "backend|endpoint|req/s|p50|p99" to $results. Arguments: backend,
# label, URL, then extra wrk arguments (headers).
run_wrk() {
    local backend=$1 label=$2 url=$3 out
    shift 3
    say "$backend: wrk $label ($DURATION)"
    out="$work/wrk-$backend-${label//[^a-z0-9]/_}.txt"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" >"$out" 2>&1 ||
        die "wrk failed on $url: $(cat "$out")"
    if grep -q 'Non-2xx or 3xx responses' "$out"; then
        cat "$out" >&2
        die "$label: some answers were errors (see above); the figures would be meaningless"
    fi
    awk -v b="$backend" -v l="$label" '
        function ms(v) {
            if (v ~ /us$/) return sprintf("%.2f ms", v / 1000)
            if (v ~ /ms$/) return sprintf("%.2f ms", v + 0)
            if (v ~ /s$/) return sprintf("%.2f ms", v * 1000)
            return v
        }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        $1 == "Requests/sec:" { rps = sprintf("%.0f", $2) }
        END {
            if (rps == "" || p50 == "" || p99 == "") exit 1
            printf "%s|%s|%s|%s|%s\n", b, l, rps, p50, p99
        }' "$out" >>"$results" || die "cannot read wrk output: $(cat "$out")"
}

# Runs the whole benchmark against one backend; shtab reads its database from the
# environment and --data-dir set up by the caller.
bench_backend() {
    local backend=$1 data_dir=$2 log="$work/serve-$1.log" base token cookie n
    mkdir -p "$data_dir"
    local -a shtab=("$SHTAB" --data-dir "$data_dir")

    say "$backend: creating the admin and an API token"
    printf '%s\n' "$ADMIN_PASSWORD" >"$work/password"
    "${shtab[@]}" user add --admin --email "$ADMIN_EMAIL" --name "Bench Admin" \
        --password-file "$work/password" >/dev/null ||
        die "$backend: shtab user add failed"
    token=$("${shtab[@]}" token create --user "$ADMIN_EMAIL" --name bench 2>/dev/null) ||
        die "$backend: shtab token create failed"
    [ -n "$token" ] || die "$backend: shtab token create printed no token"

    say "$backend: starting shtab serve"
    "${shtab[@]}" serve --listen 127.0.0.1:0 >"$log" 2>&1 &
    server_pid=$!
    base=""
    for _ in $(seq 1 100); do
        base=$(sed -n 's|^Shtab is serving on \(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$log" | head -n1)
        [ -n "$base" ] && break
        kill -0 "$server_pid" 2>/dev/null || die "$backend: shtab serve exited: $(cat "$log")"
        sleep 0.1
    done
    [ -n "$base" ] || die "$backend: shtab serve did not say where it listens: $(cat "$log")"
    curl -fsS -o /dev/null "$base/healthz" || die "$backend: $base/healthz does not answer 200"
    say "$backend: serving on $base (pid $server_pid)"

    say "$backend: importing $PEOPLE people"
    local import_started=$SECONDS
    curl -sS --fail-with-body -o "$work/import.json" -X POST \
        -H "Authorization: Bearer $token" -H 'Content-Type: text/csv' \
        --data-binary @"$work/people.csv" "$base/api/v1/people/import" ||
        die "$backend: the import failed: $(cat "$work/import.json" 2>/dev/null)"
    n=$(sed -n 's/.*"created": *\([0-9]*\).*/\1/p' "$work/import.json")
    [ "$n" = "$PEOPLE" ] || die "$backend: the import created ${n:-?} people, not $PEOPLE: $(head -c 600 "$work/import.json")"
    say "$backend: imported in $((SECONDS - import_started))s"
    if [ "$backend" = postgres ]; then
        # Autovacuum would analyze the freshly filled tables within a minute or so; without
        # statistics the planner takes 10 000 rows for 50 and picks plans ten times slower,
        # which is not what a running installation sees.
        psql -q "$SHTAB_DATABASE_URL" -c ANALYZE >/dev/null || die "postgres: ANALYZE failed"
    fi

    say "$backend: logging in through /login"
    local jar="$work/cookies-$backend" form csrf
    form=$(curl -fsS -c "$jar" "$base/login") || die "$backend: GET /login failed"
    csrf=$(printf '%s' "$form" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1)
    [ -n "$csrf" ] || die "$backend: the login form has no csrf_token"
    curl -fsS -o /dev/null -b "$jar" -c "$jar" \
        --data-urlencode "email=$ADMIN_EMAIL" --data-urlencode "password=$ADMIN_PASSWORD" \
        --data-urlencode "csrf_token=$csrf" --data-urlencode "next=/" "$base/login" ||
        die "$backend: POST /login failed"
    cookie=$(awk '$6 == "shtab_session" { print $6 "=" $7 }' "$jar")
    [ -n "$cookie" ] || die "$backend: logging in set no shtab_session cookie"
    # Both calls must really work before wrk hammers them.
    curl -fsS -o /dev/null -H "Authorization: Bearer $token" "$base/api/v1/people?limit=50" ||
        die "$backend: GET /api/v1/people with the token failed"
    curl -fsS -o "$work/page.html" -H "Cookie: $cookie" "$base/people" ||
        die "$backend: GET /people with the session failed"
    grep -q '@bench.test' "$work/page.html" ||
        die "$backend: /people does not list the imported people"

    run_wrk "$backend" "GET /api/v1/people?limit=50" "$base/api/v1/people?limit=50" \
        -H "Authorization: Bearer $token"
    run_wrk "$backend" "GET /people" "$base/people" -H "Cookie: $cookie"
    run_wrk "$backend" "GET /people?q=$SEARCH" "$base/people?q=$(urlencode "$SEARCH")" \
        -H "Cookie: $cookie"

    stop_server
}

# Prints "a|b|c|d|e" lines as aligned columns under a header. Widths are counted in
# characters (the search label is Cyrillic), which bash does in a UTF-8 locale.
print_table() {
    local LC_ALL=C.UTF-8
    local -a rows cells widths=(0 0 0 0 0)
    local row i cell pad line
    mapfile -t rows < <(echo "backend|endpoint|requests/s|p50|p99"; cat "$1")
    for row in "${rows[@]}"; do
        IFS='|' read -r -a cells <<<"$row"
        for i in 0 1 2 3 4; do
            ((${#cells[i]} > widths[i])) && widths[i]=${#cells[i]}
        done
    done
    for row in "${rows[@]}"; do
        IFS='|' read -r -a cells <<<"$row"
        line=""
        for i in 0 1 2 3 4; do
            cell=${cells[i]}
            printf -v pad '%*s' $((widths[i] - ${#cell})) ''
            # Text left-aligned, figures right-aligned.
            if ((i < 2)); then line+="$cell$pad"; else line+="$pad$cell"; fi
            ((i < 4)) && line+="  "
        done
        printf '%s\n' "$line"
        if [ "$row" = "${rows[0]}" ]; then
            line=""
            for i in 0 1 2 3 4; do
                printf -v pad '%*s' "${widths[i]}" ''
                line+="${pad// /-}"
                ((i < 4)) && line+="  "
            done
            printf '%s\n' "$line"
        fi
    done
}

# ---------------------------------------------------------------- run

results="$work/results"
: >"$results"
generate_people "$PEOPLE" "$work/people.csv"
export SHTAB_LOG_LEVEL=${SHTAB_LOG_LEVEL:-warn}
unset SHTAB_CONFIG

for backend in $BACKENDS; do
    case $backend in
    sqlite)
        unset SHTAB_DATABASE_URL
        bench_backend sqlite "$work/sqlite"
        ;;
    postgres)
        if ! command -v psql >/dev/null; then
            say "postgres: skipped (psql is not installed)"
            continue
        fi
        if ! psql -q "$PG_SERVER/postgres" -c 'select 1' >/dev/null 2>&1; then
            say "postgres: skipped (PostgreSQL does not answer at $PG_SERVER)"
            continue
        fi
        psql -q "$PG_SERVER/postgres" -c "CREATE DATABASE $PG_DB" >/dev/null ||
            die "postgres: cannot create the database $PG_DB"
        pg_created=1
        export SHTAB_DATABASE_URL="$PG_SERVER/$PG_DB"
        bench_backend postgres "$work/postgres"
        unset SHTAB_DATABASE_URL
        ;;
    *) die "unknown backend '$backend' in BENCH_BACKENDS (sqlite, postgres)" ;;
    esac
done

[ -s "$results" ] || die "no backend was measured"

printf '\n%d people, wrk -t%s -c%s -d%s, %s, %s CPUs\n\n' \
    "$PEOPLE" "$THREADS" "$CONNECTIONS" "$DURATION" "$(date -u +%Y-%m-%d)" "$(nproc)"
print_table "$results"

# The people search's aims (issue 18), per backend.
echo
while IFS='|' read -r backend endpoint rps _p50 p99; do
    case $endpoint in "GET /people?q="*) ;; *) continue ;; esac
    aim "$backend people search, requests/s" "$rps" ">=" 1000 "req/s"
    aim "$backend people search, p99" "${p99% ms}" "<=" 30 "ms"
done <"$results"
