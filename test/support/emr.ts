/** EMR clusters for tests, on the run's moto server (see dev/stack/emrClusters.ts). */
import type { EMRClient } from '@aws-sdk/client-emr';
import { inject } from 'vitest';
import { motoEmrClient } from '../../dev/stack/emrClusters';
import { MOTO_ENV } from '../../dev/stack/moto';

export { createCluster, terminateCluster } from '../../dev/stack/emrClusters';

Object.assign(process.env, MOTO_ENV);

export function emrClient(): EMRClient {
  return motoEmrClient(inject('motoEndpoint'));
}
