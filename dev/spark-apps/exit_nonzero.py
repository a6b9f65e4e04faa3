"""An app that exits with a non-zero status and no exception: no error line at all.

LIVY.md: such an app leaves Livy's log ending in its `\nstderr: ` section marker; the real-Livy
suite checks that the job fails with a reason that says the app exited, and that the marker is not
taken for the app's last line. Its one optional argument is the exit status (default 3).
"""
import sys


def main(argv):
    status = int(argv[1]) if len(argv) > 1 else 3
    # A line of its own that says nothing of failing: the reason must not depend on the app's wording.
    print("shale-test: no input files for the day", flush=True)
    sys.exit(status)


if __name__ == "__main__":
    main(sys.argv)
