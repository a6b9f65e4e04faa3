/**
 * One dev server for the whole run (vitest globalSetup). Its address reaches the test files
 * through `provide`; each file uses its own task queue.
 */
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../../dev/stack/devServer';
import { resolveTools } from '../../dev/stack/tools';
import { startMoto } from '../../dev/stack/moto';

let server: DevServer | undefined;

export default async function setup(project: TestProject) {
  const tools = resolveTools();
  const moto = await startMoto();
  server = await startDevServer();
  project.provide('temporalAddress', server.address);
  project.provide('motoEndpoint', moto.endpoint);
  project.provide('tools', tools);
  return async () => {
    await server?.stop();
    await moto.stop();
  };
}
