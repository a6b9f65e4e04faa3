# syntax=docker/dockerfile:1
#
# The Shale worker: `docker build -t shale-worker .`, then run it with its config mounted at
# /etc/shale/shale.yaml (see docker-compose.yml and deploy/shale.yaml). The code runs from source
# with tsx, as bin/shale does everywhere; the workflow code is bundled here, once, not at every start.
ARG NODE_IMAGE=node:20-bookworm-slim

# --- 1. Production dependencies (tsx is one: bin/shale runs the TypeScript sources with it). ---
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- 2. The workflow bundle (webpack via @temporalio/worker), built at image build time. ---
FROM deps AS workflow-bundle
COPY contract/ contract/
COPY workflows/ workflows/
COPY worker/bundleWorkflows.ts worker/
RUN node --import tsx worker/bundleWorkflows.ts dist/workflow-bundle.js \
    && grep -q sparkJob dist/workflow-bundle.js

# --- 3. The runtime image: dependencies, the worker's sources, the bundle; nothing else. ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    SHALE_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
WORKDIR /app
# Everything stays owned by root and read-only to the worker's user.
COPY --from=deps /app/node_modules/ node_modules/
COPY package.json package-lock.json ./
COPY contract/ contract/
COPY workflows/ workflows/
COPY activities/ activities/
COPY worker/ worker/
COPY client/ client/
COPY --chmod=0755 bin/ bin/
COPY --from=workflow-bundle /app/dist/workflow-bundle.js dist/workflow-bundle.js

# The node images' unprivileged user (uid 1000).
USER node

# Healthy = the worker process (PID 1, or the child of an init at PID 1) is polling its task queue:
# Temporal saw a workflow-task poll from its identity (<pid>@<hostname>) in the last 150 s. Its
# address, namespace, task queue and TLS/API key are read the way the worker reads them: from the
# file it was started with (--config) and its own environment, through worker/config.ts.
HEALTHCHECK --interval=30s --timeout=20s --start-period=60s --retries=3 \
  CMD node --import tsx -e " \
    const fs = require('node:fs'), os = require('node:os'), path = require('node:path'), url = require('node:url'); \
    const NUL = String.fromCharCode(0); \
    const read = (file) => { try { return fs.readFileSync(file, 'utf8'); } catch { return ''; } }; \
    const fail = (why) => { console.error('unhealthy: ' + why); process.exit(1); }; \
    const argvOf = (pid) => read('/proc/' + pid + '/cmdline').split(NUL); \
    const isWorker = (argv) => argv.includes('worker') && argv.some((a) => a.endsWith('/client/cli.ts')); \
    const ppidOf = (pid) => { const stat = read('/proc/' + pid + '/stat'); return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]; }; \
    const pid = isWorker(argvOf(1)) ? '1' : fs.readdirSync('/proc').find((p) => String(Number(p)) === p && ppidOf(p) === '1' && isWorker(argvOf(p))); \
    if (!pid) fail('no shale worker process (PID 1, or a child of the init at PID 1)'); \
    const argv = argvOf(pid); \
    const at = argv.findIndex((a) => a === '--config' || a.startsWith('--config=')); \
    const given = at < 0 ? undefined : argv[at] === '--config' ? argv[at + 1] : argv[at].slice('--config='.length); \
    let cwd = '/'; try { cwd = fs.readlinkSync('/proc/' + pid + '/cwd'); } catch {} \
    const configPath = given && path.resolve(cwd, given); \
    const environ = read('/proc/' + pid + '/environ').split(NUL).filter((kv) => kv.includes('=')); \
    const env = environ.length ? Object.fromEntries(environ.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) : process.env; \
    const root = path.resolve(path.dirname(argv.find((a) => a.endsWith('/client/cli.ts'))), '..'); \
    import(url.pathToFileURL(path.join(root, 'worker', 'config.ts')).href).then(async ({ loadWorkerConfig, temporalConnectionOptions }) => { \
      const config = await loadWorkerConfig(configPath, env); \
      const { address, namespace, taskQueue } = config.temporal; \
      const { Connection } = require(require.resolve('@temporalio/client', { paths: [root] })); \
      const connection = await Connection.connect({ ...(await temporalConnectionOptions(config, env)), connectTimeout: '5s' }); \
      const { pollers } = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue, kind: 1 }, taskQueueType: 1 }); \
      await connection.close(); \
      const identity = pid + '@' + os.hostname(); \
      const seen = pollers.filter((p) => p.identity === identity).map((p) => Number(String(p.lastAccessTime?.seconds ?? 0)) * 1000); \
      if (!seen.length) fail(identity + ' is not polling task queue ' + taskQueue + ' of namespace ' + namespace + ' at ' + address); \
      const age = Math.round((Date.now() - Math.max(...seen)) / 1000); \
      if (age > 150) fail(identity + ' last polled ' + taskQueue + ' ' + age + 's ago'); \
      console.log('healthy: ' + identity + ' polled ' + taskQueue + ' at ' + address + ' ' + age + 's ago'); \
    }).catch((err) => fail(err.message)); \
  "

# The worker is PID 1: SIGTERM makes it stop polling and drain (worker.shutdownGraceSeconds).
ENTRYPOINT ["bin/shale", "worker"]
CMD ["--config", "/etc/shale/shale.yaml"]
