/**
 * The local processes of one batch on a real Livy in local mode: its spark-submit JVM (which is
 * also the Spark driver) and the Python driver that spark-submit starts for a pyspark app. Found
 * among the processes the Livy started (RealLivy.sparkProcesses) by their command lines: Livy passes
 * the batch name to spark-submit (`--name`, and Shale's `spark.app.name`).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { RealLivy } from '../../../dev/stack/realLivy';

export interface BatchProcesses {
  sparkSubmit: number[];
  /** Children of the spark-submit JVMs (the Python driver), found while their parent lives. */
  drivers: number[];
}

async function readProc(pid: number): Promise<{ args: string[]; ppid: number } | undefined> {
  try {
    const [cmdline, stat] = await Promise.all([readFile(`/proc/${pid}/cmdline`, 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')]);
    // The command name in stat is in parentheses and may hold spaces: fields count from the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return { args: cmdline.split('\0'), ppid };
  } catch {
    return undefined; // ended meanwhile
  }
}

/**
 * The spark-submit JVM itself. On its way up, bin/spark-submit is a bash script (spark-class) that
 * runs a short-lived launcher JVM (org.apache.spark.launcher.Main) to build the command, then execs
 * it: those carry the same arguments for a moment and are not a second spark-submit.
 */
function isSparkSubmitJvm(args: string[]): boolean {
  return basename(args[0] ?? '') === 'java' && args.includes('org.apache.spark.deploy.SparkSubmit') && !args.includes('org.apache.spark.launcher.Main');
}

export async function batchProcesses(livy: RealLivy, batchName: string): Promise<BatchProcesses> {
  const pids = await livy.sparkProcesses();
  const procs = new Map<number, { args: string[]; ppid: number }>();
  for (const pid of pids) {
    const proc = await readProc(pid);
    if (proc) procs.set(pid, proc);
  }
  const sparkSubmit = [...procs].filter(([, p]) => isSparkSubmitJvm(p.args) && p.args.some((a) => a === batchName || a === `spark.app.name=${batchName}`)).map(([pid]) => pid);
  const drivers = [...procs].filter(([, p]) => sparkSubmit.includes(p.ppid)).map(([pid]) => pid);
  return { sparkSubmit, drivers };
}
