"""A Spark app that fails with an exception of its own, as a broken job would.

The real-Livy suite (test/livy-real) checks that the job's recorded reason is this app's own error
text, not a generic "the batch is dead". Its one optional argument replaces the error's text.
"""
import sys

from pyspark.sql import SparkSession


def main(argv):
    message = argv[1] if len(argv) > 1 else "shale-test: input partition 7 is corrupt"
    spark = SparkSession.builder.getOrCreate()
    rows = spark.range(10).count()
    print(f"shale-test: read {rows} rows", flush=True)
    raise ValueError(message)


if __name__ == "__main__":
    main(sys.argv)
