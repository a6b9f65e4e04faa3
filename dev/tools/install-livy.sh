#!/usr/bin/env bash
# A real Apache Livy with a real Spark, for the real-Livy suite (test/livy-real) and `make demo LIVY=real`
# (dev/stack/realLivy.ts starts it). Two parts, each cached under .tools/ by version:
#   .tools/livy-0.7.1-incubating/jars/   Livy's server classpath, copied from Maven Central by
#                                        `mvn dependency:copy-dependencies` on dev/tools/livy/pom.xml
#                                        (there is no binary distribution there; 114 jars, 75 MB)
#   .tools/spark-3.5.9-venv/             pyspark==3.5.9 from PyPI (a source build by pip, 372 MB);
#                                        SPARK_HOME is its site-packages/pyspark
# Livy's conf/ is not made here: realLivy.ts writes one per run (port, whitelist, retention).
# Each part is built in a temporary folder beside it and renamed at the end, so an interrupted install
# is never taken for a finished one; a second run checks a few paths and exits (well under a second).
# Needs a JDK 17+ and Maven: on a machine without them they come from Debian (apt-get, as root or
# through sudo). Prints nothing but errors; `--print` prints LIVY_HOME=, SPARK_HOME=, PYSPARK_PYTHON=,
# JAVA_HOME=.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tools="$root/.tools"

LIVY_VERSION=0.7.1-incubating
PYSPARK_VERSION=3.5.9
JAVA_MINIMUM=17

livy_home="$tools/livy-$LIVY_VERSION"
spark_venv="$tools/spark-$PYSPARK_VERSION-venv"
pom="$root/dev/tools/livy/pom.xml"
log="$tools/livy-install.log"

fail() { # step [hint]
  echo "install-livy.sh: $1 failed${2:+: $2}" >&2
  exit 1
}

# The tool's own last word (Maven's or pip's ERROR line), for the one-line error.
last_log_line() { grep -v '^[[:space:]]*$' "$log" | tail -n1 | cut -c1-300; }

# The pom's hash is kept with the jars: a changed pom (another pin) rebuilds them.
pom_hash() { sha256sum "$pom" | cut -d' ' -f1; }
livy_complete() { [ -f "$livy_home/.shale-pom-sha256" ] && [ "$(cat "$livy_home/.shale-pom-sha256")" = "$(pom_hash)" ]; }
spark_complete() { [ -x "$spark_venv/bin/python" ] && [ -x "$spark_venv/$site_packages/pyspark/bin/spark-submit" ] && [ -f "$spark_venv/.shale-pyspark-$PYSPARK_VERSION" ]; }

java_major() { # java home -> major version (8 for 1.8.0_x, 17 for 17.0.15)
  local line version
  # A JDK's release file says it without starting a JVM (a quarter of a second on a busy machine).
  line=$(grep -m1 '^JAVA_VERSION="' "$1/release" 2>/dev/null) || line=$("$1/bin/java" -version 2>&1 | grep -m1 'version "') || return 1
  version=${line#*\"}
  version=${version%%\"*}
  case $version in
  1.*) version=${version#1.} ;;
  esac
  echo "${version%%[.+-]*}"
}

# apt-get from Debian for a missing system tool: as root (CI) directly, elsewhere through sudo.
apt_install() { # step package...
  local step=$1
  shift
  command -v apt-get >/dev/null 2>&1 || fail "$step" "not installed, and there is no apt-get to install $* with"
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  echo "install-livy.sh: installing $* from Debian" >&2
  { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >>"$log" 2>&1 ||
    fail "$step" "apt-get install $* was refused (see $log)"
}

# --- step 1/4: a JDK 17+ (Livy 0.7.1 runs on 17 with --add-opens flags; Spark 3.5 supports 17) ---
find_java_home() {
  local java
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    echo "$JAVA_HOME"
    return
  fi
  java=$(command -v java 2>/dev/null) || return 1
  java=$(readlink -f "$java")
  echo "${java%/bin/java}"
}

mkdir -p "$tools"
java_home=$(find_java_home) || {
  apt_install "step 1/4 'find java'" openjdk-17-jdk-headless
  java_home=$(find_java_home) || fail "step 1/4 'find java'" "apt-get installed openjdk-17-jdk-headless but there is still no java on PATH"
}
major=$(java_major "$java_home") || fail "step 1/4 'find java'" "$java_home/bin/java -version does not say its version"
[ "$major" -ge "$JAVA_MINIMUM" ] ||
  fail "step 1/4 'find java'" "$java_home/bin/java is Java $major; Livy and Spark here need Java $JAVA_MINIMUM+ (set JAVA_HOME to one)"

# The venv's python decides the site-packages folder name (python3.11 here): read from the venv when it
# exists, since asking python3 (a pyenv shim here) can take a second.
site_packages_of() { # venv
  local found
  for found in "$1"/lib/python3.*/site-packages; do
    [ -d "$found" ] && echo "${found#"$1/"}" && return
  done
  return 1
}
site_packages=$(site_packages_of "$spark_venv") || site_packages=none

print_paths() {
  [ "${1:-}" = --print ] || return 0
  echo "LIVY_HOME=$livy_home"
  echo "SPARK_HOME=$spark_venv/$site_packages/pyspark"
  echo "PYSPARK_PYTHON=$spark_venv/bin/python"
  echo "JAVA_HOME=$java_home"
}

if livy_complete && spark_complete; then
  print_paths "${1:-}"
  exit 0
fi

# Two installs at once (two test runs) take turns; the second finds the first's result.
exec 9>"$tools/.install-livy.lock"
flock 9
: >"$log"
# Left by an install that was killed; nobody else builds now (we hold the lock).
rm -rf "$tools"/.livy-*.partial.* "$tools"/.spark-*.partial.*
partial=""
trap '[ -z "$partial" ] || rm -rf "$partial"' EXIT

# Renames a finished build into place (mv -T: never into an existing folder).
publish() { # built dest
  rm -rf "$2"
  mv -T "$1" "$2"
  partial=""
}

# --- step 2/4: Livy's jars from Maven Central ---
if ! livy_complete; then
  if ! command -v mvn >/dev/null 2>&1; then
    apt_install "step 2/4 'find mvn'" maven
    command -v mvn >/dev/null 2>&1 || fail "step 2/4 'find mvn'" "apt-get installed maven but there is still no mvn on PATH"
  fi
  partial=$(mktemp -d "$tools/.livy-$LIVY_VERSION.partial.XXXXXX")
  # -B -ntp: no colours or progress bars in the log. JAVA_HOME: the JDK checked above.
  JAVA_HOME="$java_home" mvn -B -ntp -q -f "$pom" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$partial/jars" >>"$log" 2>&1 ||
    fail "step 2/4 'mvn dependency:copy-dependencies' of org.apache.livy:livy-server:$LIVY_VERSION from Maven Central" "$(last_log_line) (see $log)"
  [ -f "$partial/jars/livy-server-$LIVY_VERSION.jar" ] ||
    fail "step 2/4 'mvn dependency:copy-dependencies'" "Maven ran but $partial/jars has no livy-server-$LIVY_VERSION.jar"
  pom_hash >"$partial/.shale-pom-sha256"
  publish "$partial" "$livy_home"
fi

# --- step 3/4 and 4/4: a venv with pyspark from PyPI ---
if ! spark_complete; then
  partial=$(mktemp -d "$tools/.spark-$PYSPARK_VERSION.partial.XXXXXX")
  # Debian's own python3 needs python3-venv for this.
  command -v python3 >/dev/null 2>&1 || fail "step 3/4 'find python3'" "no python3 on PATH (pyspark is installed into a venv of it)"
  python3 -m venv "$partial" >>"$log" 2>&1 || fail "step 3/4 'python3 -m venv'" "see $log; on Debian: apt-get install python3-venv"
  site_packages=$(site_packages_of "$partial") || fail "step 3/4 'python3 -m venv'" "the venv has no lib/python3.*/site-packages"
  # `python -m pip`, not bin/pip: the venv is renamed at the end and pip's script names the old path.
  # PYSPARK_HADOOP_VERSION and friends make pyspark's setup download Spark from Apache's mirrors
  # instead of using the jars in the PyPI package: never passed on.
  env -u PYSPARK_HADOOP_VERSION -u PYSPARK_HIVE_VERSION -u PYSPARK_RELEASE_MIRROR \
    "$partial/bin/python" -m pip install --disable-pip-version-check --no-input "pyspark==$PYSPARK_VERSION" >>"$log" 2>&1 ||
    fail "step 4/4 'pip install pyspark==$PYSPARK_VERSION' from PyPI" "$(last_log_line) (see $log)"
  [ -x "$partial/$site_packages/pyspark/bin/spark-submit" ] ||
    fail "step 4/4 'pip install pyspark==$PYSPARK_VERSION'" "pip ran but there is no $site_packages/pyspark/bin/spark-submit"
  : >"$partial/.shale-pyspark-$PYSPARK_VERSION"
  publish "$partial" "$spark_venv"
fi

print_paths "${1:-}"
