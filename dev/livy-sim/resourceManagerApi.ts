/**
 * The part of YARN's ResourceManager REST API (/ws/v1/cluster/apps) Shale uses, on the
 * simulator's port: find apps by tag, read one, kill one. Shaped like Hadoop's
 * ResourceManagerRest docs ("Cluster Applications API", "Cluster Application State API").
 * Livy's faults do not reach it: the RM is another process on the cluster.
 */
import type { BatchStore } from './batches.js';
import { decodeSegment, json, type Answer } from './http.js';
import { isFinalYarnState, type YarnApp, type YarnCluster } from './yarn.js';

export const RM_APPS_PREFIX = '/ws/v1/cluster/apps';

export interface ResourceManagerRequest {
  method: string;
  /** Path segments after /ws/v1/cluster/apps. */
  segments: string[];
  query: URLSearchParams;
  body: string;
}

/** The app object (the fields Shale reads, plus the usual neighbours). */
function appView(yarn: YarnCluster, app: YarnApp, now: number) {
  const finished = isFinalYarnState(app.state);
  return {
    id: app.id,
    user: app.user,
    name: app.name,
    queue: app.queue,
    state: app.state,
    finalStatus: app.finalStatus,
    progress: finished ? 100 : app.state === 'RUNNING' ? 50 : 0,
    trackingUI: finished ? 'History' : 'ApplicationMaster',
    diagnostics: app.diagnostics,
    clusterId: yarn.clusterId,
    applicationType: 'SPARK',
    applicationTags: app.tags.join(','),
    startedTime: app.startedTime,
    finishedTime: app.finishedTime,
    elapsedTime: (finished ? app.finishedTime : now) - app.startedTime,
  };
}

/** YARN's error body: a RemoteException. */
function remoteException(status: number, exception: string, message: string): Answer {
  return json(status, {
    RemoteException: { exception, message: `java.lang.Exception: ${message}`, javaClassName: `org.apache.hadoop.yarn.webapp.${exception}` },
  });
}

function listApps(yarn: YarnCluster, query: URLSearchParams, now: number): Answer {
  const tags = (query.get('applicationTags') ?? '').split(',').filter((t) => t.trim() !== '');
  const states = (query.get('states') ?? '').split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
  let apps = tags.length > 0 ? yarn.withAnyTag(tags) : yarn.all();
  if (states.length > 0) apps = apps.filter((app) => states.includes(app.state));
  // Jersey writes an empty collection as null.
  return json(200, { apps: apps.length === 0 ? null : { app: apps.map((app) => appView(yarn, app, now)) } });
}

/**
 * PUT {"state":"KILLED"}: a live app is killed and the answer is 202 with the state it had (the
 * kill is under way); asking again, or for an app that has ended, answers 200 with its state.
 */
function putState(yarn: YarnCluster, store: BatchStore, app: YarnApp, body: string): Answer {
  let target: unknown;
  try {
    target = (JSON.parse(body) as { state?: unknown } | null)?.state;
  } catch {
    return remoteException(400, 'BadRequestException', 'the body must be JSON like {"state":"KILLED"}');
  }
  if (target !== 'KILLED') return remoteException(400, 'BadRequestException', "Only 'KILLED' is allowed as a target state.");
  if (isFinalYarnState(app.state)) return json(200, { state: app.state });
  const before = app.state;
  // Livy's monitor sees the kill: the batch it still tracks for this app ends 'killed' too.
  const tracker = store.trackerOf(app);
  if (tracker) store.forceFinish(tracker, 'killed');
  yarn.kill(app);
  return json(202, { state: before }, { headers: { location: `${RM_APPS_PREFIX}/${app.id}` } });
}

export function handleResourceManagerApi(yarn: YarnCluster, store: BatchStore, req: ResourceManagerRequest, now = Date.now()): Answer {
  const { method, segments, query, body } = req;
  if (segments.length === 0) {
    return method === 'GET' ? listApps(yarn, query, now) : remoteException(405, 'WebApplicationException', `${method} is not supported`);
  }
  const appId = decodeSegment(segments[0] ?? '');
  const app = yarn.byId(appId);
  if (!app) return remoteException(404, 'NotFoundException', `app with id: ${appId} not found`);
  if (segments.length === 1 && method === 'GET') return json(200, { app: appView(yarn, app, now) });
  if (segments.length === 2 && segments[1] === 'state') {
    if (method === 'GET') return json(200, { state: app.state });
    if (method === 'PUT') return putState(yarn, store, app, body);
  }
  return remoteException(404, 'NotFoundException', `no resource ${method} ${RM_APPS_PREFIX}/${segments.join('/')}`);
}
