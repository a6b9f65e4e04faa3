/**
 * The Temporal Web UI as an operator uses it: Debian's Chromium (headless, through playwright-core)
 * opens the dev server's UI, filters workflows by ShaleState, and finds a Shale job.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../dev/stack/devServer';
import { freePort } from '../../dev/stack/ports';
import { onOwnServer, simSpec, startStack, type E2EStack } from '../support/stack';

const SCREENSHOTS = fileURLToPath(new URL('../.tmp/', import.meta.url));
/** Without the background-networking flags Chromium keeps dialling out, and this network refuses it. */
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let server: DevServer;
let stack: E2EStack;
let browser: Browser;

beforeAll(async () => {
  server = await startDevServer({ headless: false, uiPort: await freePort() });
  stack = await startStack('e2e-ui', {}, { address: server.address });
  browser = await chromium.launch({ executablePath: process.env.SHALE_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_FLAGS });
});
afterAll(async () => {
  await browser?.close();
  await stack?.teardown();
  await server?.stop();
});

describe(onOwnServer('the Temporal Web UI', "the Web UI is the dev server's own (--ui-port)"), () => {
  it('filters by ShaleState and shows the Shale job with its summary', async () => {
    const { jobId } = await stack.client.submit(simSpec('ui-visible'));
    expect((await stack.client.wait(jobId, { pollIntervalMs: 100 })).state).toBe('SUCCEEDED');

    const page = await browser.newPage();
    const query = encodeURIComponent(`ShaleState="SUCCEEDED" AND ShaleTeam="e2e"`);
    await page.goto(`${server.uiUrl}/namespaces/default/workflows?query=${query}`);
    const row = page.getByText(jobId).first();
    await row.waitFor({ timeout: 30_000 });
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}ui-filtered.png`, fullPage: true });

    // A job in another state is filtered out.
    const other = encodeURIComponent(`ShaleState="CANCELLED" AND ShaleTeam="e2e"`);
    await page.goto(`${server.uiUrl}/namespaces/default/workflows?query=${other}`);
    await page.getByText(/No Workflows|no results|No results/i).first().waitFor({ timeout: 30_000 });
    expect(await page.getByText(jobId).count()).toBe(0);

    // The job's page shows the summary Shale set at submission.
    await page.goto(`${server.uiUrl}/namespaces/default/workflows/${jobId}`);
    await page.getByText('e2e/ui-visible').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: `${SCREENSHOTS}ui-job.png`, fullPage: true });
    await page.close();
  });
});
