/** worker/versioning.ts: the build id names exactly one workflow code, and the worker options it gives. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIdOf, importedPackages, SOURCE_ROOT, versioningConfig, workerVersioning, workflowSourceFingerprint } from '../../worker/versioning';

let copy: string;

beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), 'shale-versioning-'));
  for (const entry of ['workflows', 'contract', 'package.json', 'package-lock.json']) {
    await cp(join(SOURCE_ROOT, entry), join(copy, entry), { recursive: true });
  }
});
afterAll(async () => {
  await rm(copy, { recursive: true, force: true });
});

describe('workflow source fingerprint and build id', () => {
  it('is the same wherever the sources are (a CI clone, a laptop, the image)', async () => {
    const here = await workflowSourceFingerprint();
    const there = await workflowSourceFingerprint(copy);
    expect(there.hash).toBe(here.hash);
    expect(buildIdOf(here)).toMatch(new RegExp(`^${here.release.replace(/\./g, '\\.')}-[0-9a-f]{12}$`));
    expect(Object.keys(here.files)).toContain('workflows/sparkJob.ts');
    expect(here.dependencies['@temporalio/workflow']).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('changes with any workflow or contract file, and with the release', async () => {
    const before = await workflowSourceFingerprint(copy);
    const file = join(copy, 'workflows', 'backoff.ts');
    const original = await readFile(file, 'utf8');
    await writeFile(file, `${original}\n// a comment is a change too\n`);
    const edited = await workflowSourceFingerprint(copy);
    await writeFile(file, original);
    expect(edited.hash).not.toBe(before.hash);
    expect(buildIdOf({ ...before, release: '9.9.9' })).not.toBe(buildIdOf(before));
  });

  it('changes when a package the bundle is made of is locked at another version', async () => {
    const before = await workflowSourceFingerprint(copy);
    const lockFile = join(copy, 'package-lock.json');
    const original = await readFile(lockFile, 'utf8');
    const lock = JSON.parse(original);
    lock.packages['node_modules/@temporalio/workflow'].version = '0.0.1';
    await writeFile(lockFile, JSON.stringify(lock));
    const bumped = await workflowSourceFingerprint(copy);
    await writeFile(lockFile, original);
    expect(bumped.dependencies['@temporalio/workflow']).toBe('0.0.1');
    expect(bumped.filesHash).toBe(before.filesHash);
    expect(bumped.hash).not.toBe(before.hash);
  });
});

describe('worker options', () => {
  it('are empty unless versioning is turned on (tests, the demo, a first deploy)', async () => {
    const off = await workerVersioning({ env: {} });
    expect(off.mode).toBe('off');
    expect(off.workerOptions).toEqual({});
    expect(off.buildId).toBe(buildIdOf(await workflowSourceFingerprint()));
  });

  it('pin jobs to this build of the deployment when SHALE_WORKER_VERSIONING=pinned', async () => {
    const pinned = await workerVersioning({ env: { SHALE_WORKER_VERSIONING: 'pinned', SHALE_DEPLOYMENT_NAME: 'shale-eu' } });
    expect(pinned.workerOptions).toEqual({
      workerDeploymentOptions: {
        useWorkerVersioning: true,
        version: { deploymentName: 'shale-eu', buildId: buildIdOf(await workflowSourceFingerprint()) },
        defaultVersioningBehavior: 'PINNED',
      },
    });
  });

  it('take a build id from SHALE_BUILD_ID, and config over the environment', async () => {
    const fromEnv = await workerVersioning({ env: { SHALE_WORKER_VERSIONING: 'auto-upgrade', SHALE_BUILD_ID: '0.2.0-image' } });
    expect(fromEnv.workerOptions.workerDeploymentOptions).toMatchObject({ version: { buildId: '0.2.0-image' }, defaultVersioningBehavior: 'AUTO_UPGRADE' });
    expect(versioningConfig({ SHALE_WORKER_VERSIONING: 'off' }, { mode: 'pinned', deploymentName: 'x' })).toEqual({ mode: 'pinned', deploymentName: 'x' });
  });

  it('refuse what the server would misread: a dot in the deployment name, an unknown mode, a reserved build id', () => {
    expect(() => versioningConfig({ SHALE_DEPLOYMENT_NAME: 'shale.prod' })).toThrow(/without '\.'/);
    expect(() => versioningConfig({ SHALE_WORKER_VERSIONING: 'yes' })).toThrow(/mode must be one of off, pinned, auto-upgrade/);
    expect(() => versioningConfig({ SHALE_BUILD_ID: '__unversioned__' })).toThrow(/build id/);
    expect(() => versioningConfig({ SHALE_BUILD_ID: 'has space' })).toThrow(/build id/);
  });
});

describe('importedPackages', () => {
  it('reads import and export statements and dynamic imports, not words in strings', () => {
    const source = [
      "import { z } from 'zod';",
      'import {',
      '  proxyActivities,',
      "} from '@temporalio/workflow';",
      "import type { X } from '@temporalio/common/lib/x';",
      "export { y } from './local';",
      "import 'side-effect';",
      "const m = await import(/* webpackMode: \"eager\" */ 'lazy-pkg/sub');",
      "const message = `copy from ', 0, 1_000_000);` + \"import from 'nothing'\";",
      "import { readFile } from 'node:fs';",
    ].join('\n');
    expect(importedPackages(source).sort()).toEqual(['@temporalio/common', '@temporalio/workflow', 'lazy-pkg', 'side-effect', 'zod']);
  });
});
