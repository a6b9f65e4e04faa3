"""Shale's SQL runner: runs the SQL statements given as its one argument, in order.

The platform uploads this file once (e.g. to s3://<bucket>/shale/sql_runner.py) and points the
worker's `sqlRunnerUri` at it; Shale submits `sql` jobs as a PySpark batch running it.
Statements are separated by semicolons at the end of a line; the last statement's result is shown.
"""
import sys

from pyspark.sql import SparkSession


def split_statements(text):
    statements, current = [], []
    for line in text.splitlines():
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current).rstrip().rstrip(";"))
            current = []
    tail = "\n".join(current).strip()
    if tail:
        statements.append(tail)
    return [s for s in statements if s.strip()]


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: sql_runner.py '<statements>'")
    spark = SparkSession.builder.getOrCreate()
    result = None
    for i, statement in enumerate(split_statements(argv[1]), 1):
        print(f"shale-sql: statement {i}: {statement.splitlines()[0][:200]}", flush=True)
        result = spark.sql(statement)
    if result is not None:
        result.show(20, truncate=False)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv)
