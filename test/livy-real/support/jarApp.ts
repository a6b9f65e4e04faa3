/**
 * The suite's jar job is compiled at test time (the repository holds the Java source, never a
 * jar): `javac` against the Spark installation's own jars, then `jar`, both from the JDK that Livy
 * itself needs.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);

export const JAR_APP_SOURCE = fileURLToPath(new URL('../../../dev/spark-apps/java/ShaleJarApp.java', import.meta.url));
export const JAR_APP_CLASS = 'ShaleJarApp';

/** The JDK tool: from JAVA_HOME when it is set, else from PATH. */
function jdkTool(name: string): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', name) : name;
}

async function step(what: string, command: string, args: string[], cwd?: string): Promise<void> {
  try {
    await run(command, args, { cwd, maxBuffer: 4 * 1024 * 1024 });
  } catch (err) {
    const { stderr, code } = err as { stderr?: string; code?: string | number };
    const why = code === 'ENOENT' ? `${command} not found (a JDK 17 is needed: apt-get install openjdk-17-jdk-headless)` : (stderr ?? String(err)).trim();
    throw new Error(`compiling the jar app: ${what} failed: ${why}`);
  }
}

/** Compiles ShaleJarApp into `<dir>/shale-jar-app.jar` and returns the jar's path. */
export async function compileJarApp(sparkHome: string, dir: string): Promise<string> {
  const classes = join(dir, 'classes');
  await mkdir(classes, { recursive: true });
  await step('javac', jdkTool('javac'), ['-d', classes, '-cp', join(sparkHome, 'jars', '*'), JAR_APP_SOURCE]);
  const jar = join(dir, 'shale-jar-app.jar');
  await step('jar', jdkTool('jar'), ['cf', jar, '-C', classes, '.']);
  return jar;
}
