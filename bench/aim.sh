# Sourced by the bench scripts: prints a figure next to its aim, so that a run reads as a
# verdict (bench/README.md keeps the table of the latest ones).
#
#   aim "people search, requests/s" 130 ">=" 1000 "req/s"
#   →   people search, requests/s: 130 req/s (aim ≥ 1000 req/s: short)
aim() {
    local figure=$1 value=$2 op=$3 target=$4 unit=${5:-}
    local shown_op verdict
    case $op in
    "<=") shown_op="≤" ;;
    ">=") shown_op="≥" ;;
    *) echo "aim: OP is <= or >=, not $op" >&2; return 1 ;;
    esac
    if awk -v v="$value" -v t="$target" -v op="$op" \
        'BEGIN { exit !((op == "<=" && v + 0 <= t + 0) || (op == ">=" && v + 0 >= t + 0)) }'; then
        verdict=met
    else
        verdict=short
    fi
    printf '  %s: %s %s (aim %s %s %s: %s)\n' "$figure" "$value" "$unit" "$shown_op" "$target" "$unit" "$verdict"
}
