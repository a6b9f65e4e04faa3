/**
 * `make demo AIRFLOW=1`: real Airflow (installed by dev/tools/install-airflow.sh into
 * .tools/airflow-venv, once) runs the provider's demo DAG (integrations/airflow/demo/run_demo.py:
 * one deferred ShaleOperator task) against the demo's HTTP API. The script prints one line naming
 * the Shale job and how it ended; Airflow's own output goes to a log file in the demo's run dir.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import type { Teardown } from './teardown';

export interface AirflowRun {
  /** run_demo.py's line: the DAG run, the task's state, the Shale job's ID and state. */
  line: string;
  jobId?: string;
  jobState?: string;
  ok: boolean;
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command in its own process group, so stopping the demo stops whatever it started too
 * (run_demo.py runs `airflow db migrate` as a child of its own); the group is stopped on teardown.
 */
function runGroup(command: string, args: string[], teardown: Teardown, env: NodeJS.ProcessEnv = process.env): Promise<Finished> {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr = (stderr + String(chunk)).slice(-4000)));
  const exited = new Promise<Finished>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  teardown.add(async () => {
    if (child.pid === undefined) return;
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // ESRCH: nothing of the group is left.
      }
    };
    if (child.exitCode === null && child.signalCode === null) {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 5_000);
      await exited.catch(() => undefined);
      clearTimeout(timer);
    }
    signalGroup('SIGKILL'); // whatever the leader left behind
  });
  return exited;
}

/** The venv's path; installs the pinned set the first time (minutes), does nothing once it is there. */
export async function installAirflow(root: string, teardown: Teardown): Promise<string> {
  const { code, stdout, stderr } = await runGroup('bash', [`${root}dev/tools/install-airflow.sh`], teardown);
  if (code !== 0) throw new Error(stderr.trim() || `dev/tools/install-airflow.sh exited ${code}`);
  return stdout.trim().split('\n').at(-1)!;
}

export async function runAirflowDag(
  root: string,
  venv: string,
  api: { url: string; token: string; team: string },
  logPath: string,
  /** run_demo.py makes its throw-away AIRFLOW_HOME (SQLite database, config) under TMPDIR and leaves it: here, a directory the demo removes. */
  tmpDir: string,
  teardown: Teardown,
): Promise<AirflowRun> {
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });
  teardown.add(() => rm(tmpDir, { recursive: true, force: true })); // after the run is stopped (teardown runs in reverse)
  const { code, signal, stdout, stderr } = await runGroup(
    `${venv}/bin/python`,
    [`${root}integrations/airflow/demo/run_demo.py`, '--api-url', api.url, '--team', api.team, '--log', logPath],
    teardown,
    { ...process.env, TMPDIR: tmpDir, SHALE_API_TOKEN: api.token },
  );
  const line = stdout.trim().split('\n').at(-1) ?? '';
  // "… -> Shale job <id> <STATE> [...]"
  const job = /Shale job (\S+) (\S+)/.exec(line);
  const jobId = job?.[1] === 'None' ? undefined : job?.[1];
  return {
    line: line || stderr.trim().split('\n').slice(-3).join(' / ') || (signal ? `run_demo.py was stopped (${signal})` : `run_demo.py exited ${code} and printed nothing`),
    jobId,
    jobState: job?.[2],
    ok: code === 0,
  };
}
