"""An app that prints more numbered lines than Livy's 200-line log buffer holds, at a steady pace.

The real-Livy suite follows its log (`shale logs --follow`) and checks that every line is shown
exactly once and in order, although Livy's buffer wraps around several times while it runs.
Arguments: the number of lines (default 600) and the lines per second (default 40).
"""
import sys
import time


def main(argv):
    count = int(argv[1]) if len(argv) > 1 else 600
    per_second = float(argv[2]) if len(argv) > 2 else 40.0
    started = time.monotonic()
    for n in range(1, count + 1):
        print(f"shale-test: line {n:05d} of {count}", flush=True)
        # Paced against the clock, so a slow print does not stretch the run.
        delay = started + n / per_second - time.monotonic()
        if delay > 0:
            time.sleep(delay)


if __name__ == "__main__":
    main(sys.argv)
