import org.apache.spark.sql.SparkSession;

/**
 * The jar job of the real-Livy suite (test/livy-real): compiled with javac against Spark's jars at
 * test time (no jar is committed), submitted by Shale as a `jar` job with this class name. It counts
 * a small range and prints the result, which the test finds in the job's log.
 */
public final class ShaleJarApp {
  private ShaleJarApp() {}

  public static void main(String[] args) {
    long rows = args.length > 0 ? Long.parseLong(args[0]) : 1000L;
    SparkSession spark = SparkSession.builder().getOrCreate();
    try {
      long evens = spark.range(rows).filter("id % 2 = 0").count();
      System.out.println("shale-test: jar app counted " + evens + " even numbers below " + rows);
    } finally {
      spark.stop();
    }
  }
}
