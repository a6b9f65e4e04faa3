// What globalSetup hands to every test file through inject().
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    motoEndpoint: string;
    tools: { temporal: string; temporalTestServer: string; motoServer: string };
  }
}
