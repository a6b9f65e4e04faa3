/**
 * One Temporal server for the whole run (vitest globalSetup): a dev server started here, or, with
 * SHALE_TEST_TEMPORAL_ADDRESS, a server someone else runs (checked first: externalTemporal.ts). Its
 * address and namespace reach the test files through `provide`; each file uses its own task queue.
 */
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../../dev/stack/devServer';
import { resolveTools } from '../../dev/stack/tools';
import { startMoto } from '../../dev/stack/moto';
import { checkExternalTemporal, externalTemporalFromEnv } from './externalTemporal';

let server: DevServer | undefined;

export default async function setup(project: TestProject) {
  const tools = resolveTools();
  const external = externalTemporalFromEnv(process.env);
  // Before anything starts: a server that cannot serve Shale fails the run in one line.
  if (external) await checkExternalTemporal(external);
  const moto = await startMoto();
  if (!external) server = await startDevServer();
  project.provide('temporalAddress', external?.address ?? server!.address);
  project.provide('temporalNamespace', external?.namespace ?? 'default');
  project.provide('temporalExternal', external !== undefined);
  project.provide('motoEndpoint', moto.endpoint);
  project.provide('tools', tools);
  return async () => {
    await server?.stop();
    await moto.stop();
  };
}
