// What globalSetup hands to every test file through inject().
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    /** `default` on the run's dev server; SHALE_TEST_TEMPORAL_NAMESPACE on an external one. */
    temporalNamespace: string;
    /** True when the run uses a server it did not start (SHALE_TEST_TEMPORAL_ADDRESS): no dev-server-only settings there. */
    temporalExternal: boolean;
    motoEndpoint: string;
    tools: { temporal: string; temporalTestServer: string; motoServer: string };
  }
}
