"""Estimates pi on two partitions and prints the result: the smallest real Spark job (make demo LIVY=real,
test/livy-real). Usage: pi.py [samples] (default 100000)."""
import random
import sys

from pyspark.sql import SparkSession


def inside(_):
    x, y = random.random(), random.random()
    return 1 if x * x + y * y <= 1 else 0


def main():
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    spark = SparkSession.builder.appName("shale-pi").getOrCreate()
    try:
        count = spark.sparkContext.parallelize(range(samples), 2).map(inside).reduce(lambda a, b: a + b)
        print("Pi is roughly %f" % (4.0 * count / samples))
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
