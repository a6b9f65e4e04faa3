"""An app that prints more numbered lines than Livy's 200-line log buffer holds, at a steady pace.

The real-Livy suite follows its log (`shale logs --follow`) and checks that every line is shown
exactly once and in order, although Livy's buffer wraps around several times while it runs.
Arguments: the number of lines (default 600), the lines per second (default 40), and optionally a
gate file: the app says it waits, then waits until that file exists (at most 120 s) before the
numbered lines, so a test can start its followers first (a follower that starts after Livy has
dropped a line can never show it).
"""
import os
import sys
import time


def wait_for_gate(path):
    print(f"shale-test: waiting for {path}", flush=True)
    deadline = time.monotonic() + 120
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit(f"shale-test: {path} did not appear within 120 s")
        time.sleep(0.1)


def main(argv):
    count = int(argv[1]) if len(argv) > 1 else 600
    per_second = float(argv[2]) if len(argv) > 2 else 40.0
    if len(argv) > 3:
        wait_for_gate(argv[3])
    started = time.monotonic()
    for n in range(1, count + 1):
        print(f"shale-test: line {n:05d} of {count}", flush=True)
        # Paced against the clock, so a slow print does not stretch the run.
        delay = started + n / per_second - time.monotonic()
        if delay > 0:
            time.sleep(delay)


if __name__ == "__main__":
    main(sys.argv)
