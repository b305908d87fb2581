#!/usr/bin/env bash
# Generates a bare git repository with N commits (default 100000) for the vcs benchmarks:
# a main branch with a few feature branches forked from it and merged back, ~10% of the
# messages naming tasks (#123, PROJ-45, задача 7, "fixes #12 @1h"), authors from a pool of 30.
# One `git fast-import` stream written by awk, so 100 000 commits take seconds, not minutes.
# The result is deterministic: the same N gives the same commit ids.
#
#   bench/vcs-make-repo.sh DIR [N]
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 DIR [N]" >&2
    exit 2
fi
dir=$1
commits=${2:-100000}
if ! [[ $commits =~ ^[1-9][0-9]*$ ]]; then
    echo "$0: N must be a positive number, not '$commits'" >&2
    exit 2
fi
if [[ -e $dir ]] && [[ -n $(ls -A "$dir") ]]; then
    echo "$0: $dir exists and is not empty" >&2
    exit 1
fi

# Nothing from the user's or the system's git configuration.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
started=$(date +%s.%N)
git init --bare --quiet --initial-branch=main "$dir"

# LC_ALL=C: awk's length() counts bytes, which is what fast-import's `data N` wants.
LC_ALL=C awk -v n="$commits" '
function emit(branch, parent, merge, i, msg, who, file) {
    printf "commit refs/heads/%s\nmark :%d\n", branch, i
    printf "author Dev %02d <%s> %d +0300\n", who, email[who], t0 + i * 600
    printf "committer Dev %02d <%s> %d +0300\n", who, email[who], t0 + i * 600 + 30
    printf "data %d\n%s\n", length(msg), msg
    if (parent) printf "from :%d\n", parent
    if (merge) printf "merge :%d\n", merge
    content = "line " i "\n"
    printf "M 100644 inline %s\ndata %d\n%s\n", file, length(content), content
}
BEGIN {
    srand(42)
    t0 = 1500000000
    for (k = 0; k < 30; k++)
        email[k] = (k % 7 == 0 ? "Dev" k "@Agency.Example" : "dev" k "@agency.example")
    split("Refactor the loader|Fix typo in README|Update dependencies|Tidy up tests|" \
          "Speed up the report|Handle empty input|Rename helpers|Log slow queries", plain, "|")
    main = 0        # mark of the tip of main
    feature = 0     # mark of the tip of the current feature branch, 0 when merged
    for (i = 1; i <= n; i++) {
        who = int(rand() * 30)
        r = rand()
        if (r < 0.04)      msg = "Fix the import #" int(rand() * 3000 + 1)
        else if (r < 0.07) msg = "PROJ-" int(rand() * 900 + 1) " add export"
        else if (r < 0.09) msg = "задача " int(rand() * 500 + 1) ": поправить форму"
        else if (r < 0.10) msg = "fixes #" int(rand() * 3000 + 1) " @1h30m\n\nAlso removes the old path."
        else               msg = plain[int(rand() * 8) + 1] " (" i ")"
        file = "src/f" (i % 500) ".txt"
        # Every 1000 commits a feature branch (one of four names) forks from main, takes 30%
        # of the commits for a while and is merged back by a merge commit on main.
        name = "feature-" (int(i / 1000) % 4)
        if (i % 1000 == 999 && feature) {
            emit("main", main, feature, i, "Merge branch '\''" name "'\''", who, file)
            main = i; feature = 0
        } else if (i > 1 && rand() < 0.3) {
            emit(name, feature ? feature : main, 0, i, msg, who, file)
            feature = i
        } else {
            emit("main", main, 0, i, msg, who, file)
            main = i
        }
    }
    # A couple of long-lived branches so the repository has more than main and features.
    printf "reset refs/heads/release\nfrom :%d\n\n", (n > 1 ? int(n / 2) : 1)
    printf "reset refs/heads/develop\nfrom :%d\n\n", main
}' | git --git-dir="$dir" fast-import --quiet

finished=$(date +%s.%N)
count=$(git --git-dir="$dir" rev-list --count --all)
branches=$(git --git-dir="$dir" for-each-ref refs/heads/ | wc -l)
awk -v a="$started" -v b="$finished" -v c="$count" -v br="$branches" -v d="$dir" \
    'BEGIN { printf "generated %d commits on %d branches in %s in %.1f s\n", c, br, d, b - a }'
