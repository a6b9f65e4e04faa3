/**
 * globalSetup of the real-Livy suite: Livy and Spark are provisioned once (dev/tools/install-livy.sh),
 * before any file starts its own Livy. From nothing that takes minutes (pip builds pyspark from source),
 * more than a hook may; when cached, well under a second.
 */
import { resolveRealLivyTools } from '../../../dev/stack/realLivy';

export default async function provision(): Promise<void> {
  await resolveRealLivyTools();
}
