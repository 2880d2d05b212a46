#!/usr/bin/env bash
# `make dev`: run a command (dagster dev) so that SIGINT or SIGTERM stops it, and everything it
# started (webserver, daemon, code servers, run workers, dbt), within 10 s.
#
# `dagster dev` alone shuts its children down one after another with a minute's grace each, and a
# run worker it launched outlives it. Here it gets its own process group; on a signal the whole group
# gets SIGTERM (Dagster's processes stop on it; a run still going is marked failed), and whatever is
# left after STOP_GRACE_SECONDS (6) gets SIGKILL. A run killed that way is recovered by the next start
# (docs/operations.md).
set -u
GRACE="${STOP_GRACE_SECONDS:-6}"  # whole seconds

setsid "$@" &  # a non-interactive shell's job is no group leader: setsid makes it one, without forking
group=$!

alive() {  # any process of the group that is not a zombie
    ps -o stat= -g "$group" 2>/dev/null | grep -qv '^Z'
}

stop() {
    trap '' INT TERM
    kill -TERM -- "-$group" 2>/dev/null
    polls=$((GRACE * 5))  # 0.2 s apart
    while alive && [ "$polls" -gt 0 ]; do sleep 0.2; polls=$((polls - 1)); done
    if alive; then
        echo "dev.sh: still running after ${GRACE} s: SIGKILL to the process group" >&2
        kill -KILL -- "-$group" 2>/dev/null
    fi
    wait "$group" 2>/dev/null
    exit 0
}

trap stop INT TERM
wait "$group"  # returns at once when a trapped signal arrives
status=$?
kill -TERM -- "-$group" 2>/dev/null  # it ended by itself: no orphan keeps running
exit "$status"
