#!/usr/bin/env bash
# The shale CLI's start-up time: `shale --help` and `shale status <a job that does not exist>` (a
# connection, one RPC, exit 4) against a Temporal server, RUNS times each (default 10), for the
# compiled build bin/shale runs (dist/, `make build`) and for the sources under tsx (bin/shale's
# fallback, and what it always ran before). Prints min / median / mean / max in ms.
#
#   bench/cliStartup.sh 127.0.0.1:7233
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
address="${1:?usage: bench/cliStartup.sh <temporal host:port>}"
runs="${RUNS:-10}"
make -C "$root" --no-print-directory build >/dev/null

measure() {
  local label=$1 times=() start end
  shift
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    times+=($(((end - start) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v label="$label" -v runs="$runs" \
    '{ t[NR] = $1; sum += $1 } END { printf "%-44s min %5d  median %5d  mean %5.0f  max %5d ms  (%d runs)\n", label, t[1], t[int((NR + 1) / 2)], sum / NR, t[NR], runs }'
}

cd "$(mktemp -d)" # outside the repository, as an operator runs it
tsx=(node --import "$root/node_modules/tsx/dist/loader.mjs" "$root/client/cli.ts")
export SHALE_TEMPORAL_ADDRESS="$address"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
measure 'compiled   shale --help' node "$root/dist/cli.js" --help
measure 'compiled   shale status no-such-job' node "$root/dist/cli.js" status no-such-job
measure 'tsx        shale --help' "${tsx[@]}" --help
measure 'tsx        shale status no-such-job' "${tsx[@]}" status no-such-job
