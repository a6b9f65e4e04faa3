"""An app that runs until it is killed, or for a given number of seconds, printing a heartbeat line
each second: the real-Livy suite cancels it mid-run and restarts Livy under it.

No SparkSession: what the tests need is a live spark-submit and Python driver, and a session would
only add seconds of start-up and hundreds of MiB. Its one optional argument is the run time in
seconds (default 600).
"""
import sys
import time


def main(argv):
    seconds = int(argv[1]) if len(argv) > 1 else 600
    for tick in range(1, seconds + 1):
        print(f"shale-test: still running, second {tick}", flush=True)
        time.sleep(1)
    print("shale-test: done", flush=True)


if __name__ == "__main__":
    main(sys.argv)
