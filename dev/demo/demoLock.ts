/**
 * One `make demo` at a time per checkout: the demo owns its run directory (config, worker log) and
 * the Web UI's usual port, so a second one started meanwhile is refused at once, before it starts
 * anything, naming the one that runs. A lock left by a demo that died is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export class DemoRunningError extends Error {
  override readonly name = 'DemoRunningError';
}

export interface DemoLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

export async function acquireDemoLock(runDir: string): Promise<DemoLock> {
  const path = join(runDir, 'demo.pid');
  for (let tries = 0; tries < 3; tries++) {
    try {
      const file = await open(path, 'wx'); // atomic: exactly one demo creates it
      await file.writeFile(`${process.pid}\n${new Date().toISOString()}\n`);
      await file.close();
      return { release: () => rm(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const [pidLine, since] = (await readFile(path, 'utf8').catch(() => '')).split('\n');
    const pid = Number(pidLine);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      throw new DemoRunningError(
        `another demo is running in this checkout (pid ${pid}, since ${since || 'an unknown time'}); ` +
          `stop it first (Ctrl-C in its terminal, or kill ${pid}) — nothing was started`,
      );
    }
    await rm(path, { force: true }); // its demo is gone: a stale lock
  }
  throw new DemoRunningError(`could not take the demo lock ${path}; another demo keeps starting`);
}
