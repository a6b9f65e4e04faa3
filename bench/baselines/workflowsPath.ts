/** Where the baseline workflows live, for whoever bundles them (their worker, the history count). */
import { fileURLToPath } from 'node:url';

export const BASELINE_WORKFLOWS_PATH = fileURLToPath(new URL('./workflows.ts', import.meta.url));
