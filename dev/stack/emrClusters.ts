/** EMR clusters on the moto server, each pointing at a Livy simulator (tests and the demo). */
import { EMRClient, RunJobFlowCommand, TerminateJobFlowsCommand } from '@aws-sdk/client-emr';
import { LIVY_URL_TAG, POOL_TAG, RM_URL_TAG } from '../../activities/clusters/emrClusters';
import { MOTO_ENV } from './moto';

export function motoEmrClient(endpoint: string): EMRClient {
  return new EMRClient({
    endpoint,
    region: MOTO_ENV.AWS_REGION,
    credentials: { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY },
  });
}

export async function createCluster(
  emr: EMRClient,
  options: { name: string; releaseLabel: string; livyUrl: string; pool?: string; tags?: Record<string, string> },
): Promise<string> {
  // The simulator serves YARN's ResourceManager API on Livy's port; moto's primary-node DNS name is fake.
  const tags = { [LIVY_URL_TAG]: options.livyUrl, [RM_URL_TAG]: options.livyUrl, ...(options.pool ? { [POOL_TAG]: options.pool } : {}), ...options.tags };
  const out = await emr.send(
    new RunJobFlowCommand({
      Name: options.name,
      ReleaseLabel: options.releaseLabel,
      Applications: [{ Name: 'Spark' }, { Name: 'Livy' }],
      Instances: { InstanceCount: 1, MasterInstanceType: 'm5.xlarge', KeepJobFlowAliveWhenNoSteps: true },
      JobFlowRole: 'EMR_EC2_DefaultRole',
      ServiceRole: 'EMR_DefaultRole',
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  return out.JobFlowId!;
}

export async function terminateCluster(emr: EMRClient, clusterId: string): Promise<void> {
  await emr.send(new TerminateJobFlowsCommand({ JobFlowIds: [clusterId] }));
}
