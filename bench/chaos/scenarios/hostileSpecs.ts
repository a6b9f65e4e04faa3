/**
 * Issue 9 item 6: hostile specs, property-based (10,000 cases; quick: fewer). At the edge
 * (parseJobSpec, what the client, CLI and HTTP API call) every spec is accepted or refused with
 * errors that name the field made hostile, and nothing throws. A sample is also started as
 * workflows directly (as `temporal workflow start` or the Web UI would, with a fingerprint that
 * matches it): each must end, FAILED InvalidSpec without a Livy call if refused, never wedge.
 */
import { randomUUID } from 'node:crypto';
import { formatFieldErrors, parseJobSpec, specFingerprint, type JobSpec, type SparkJobInput } from '../../../contract';
import { TERMINAL_JOB_STATES } from '../../../contract/states';
import type { ScenarioDefinition } from '../harness/runner';
import { chaosWorkerConfig, simCluster, type ScenarioContext } from '../harness/scenario';
import { hostileSpec, samples, SEED, type HostileSpec } from './hostileInput';

/** What is wrong with how the edge handled one hostile spec, if anything. */
function judge(h: HostileSpec): string | undefined {
  let result: ReturnType<typeof parseJobSpec>;
  try {
    result = parseJobSpec(h.spec);
  } catch (err) {
    return `threw ${(err as Error).name}: ${(err as Error).message.slice(0, 100)}`;
  }
  if (result.ok) {
    try {
      const again = parseJobSpec(JSON.parse(JSON.stringify(result.spec)));
      return again.ok ? undefined : `accepted, but its normalized form is refused: ${formatFieldErrors(again.errors).slice(0, 150)}`;
    } catch (err) {
      return `accepted, but its normalized form is not plain JSON: ${(err as Error).message.slice(0, 100)}`;
    }
  }
  if (result.errors.length === 0) return 'refused without an error';
  if (!result.errors.every((e) => typeof e.field === 'string' && typeof e.message === 'string' && e.message !== '')) return 'refused with malformed errors';
  if (h.at === '(spec)') return undefined;
  // A field set to undefined is a field left out: its default applies, and a sibling that no longer
  // fits it is what the refusal rightly names (retry.maxBackoff under the default initialBackoff).
  if (isLeftOut(h) && result.errors.some((e) => e.field !== '(spec)')) return undefined;
  const top = h.at.split('.')[0]!;
  const leaf = h.at.slice(top.length + 1);
  const named = result.errors.some(
    (e) =>
      e.field === h.at ||
      e.field.startsWith(`${h.at}.`) ||
      (e.field !== '(spec)' && h.at.startsWith(`${e.field}.`)) ||
      (e.field === '(spec)' && e.message.includes(leaf || top) && /unknown field|reserved/.test(e.message)) ||
      (e.field === top && leaf === ''),
  );
  return named ? undefined : `refused without naming ${h.at}: ${formatFieldErrors(result.errors).slice(0, 160)}`;
}

function isLeftOut(h: HostileSpec): boolean {
  try {
    return h.at.split('.').reduce((o: any, k) => (o == null ? o : o[k]), h.spec) === undefined;
  } catch {
    return false; // a throwing getter is not a field left out
  }
}

/** A short, printable description of a hostile case (never the megabyte values themselves). */
function describe(h: HostileSpec): string {
  let value: unknown;
  try {
    value = h.at === '(spec)' ? h.spec : h.at.split('.').reduce((o: any, k) => (o == null ? o : o[k]), h.spec);
  } catch {
    return `${h.at} = <throwing getter>`;
  }
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 30)) + (value.length > 30 ? `…(${value.length} chars)` : '') : JSON.stringify(value)?.slice(0, 40) ?? String(value);
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  return `${h.at} = ${shown}`;
}

function jsonSize(value: unknown): number | undefined {
  try {
    return JSON.stringify(value)?.length;
  } catch {
    return undefined;
  }
}

function fingerprintOf(spec: unknown): string {
  try {
    return specFingerprint(spec as JobSpec);
  } catch {
    return 'forged';
  }
}

async function startRaw(ctx: ScenarioContext, h: HostileSpec, i: number): Promise<void> {
  const jobId = `chaos-hostile-${i}-${randomUUID().slice(0, 8)}`;
  // Judged on what the workflow receives: the spec after the payload converter's JSON round trip (a Map becomes {}, ...).
  const refused = (() => {
    try {
      return !parseJobSpec(JSON.parse(JSON.stringify(h.spec))).ok;
    } catch {
      return true;
    }
  })();
  // Half carry the fingerprint of what they send (anyone can compute it), half a forged one.
  const fingerprint = i % 2 === 0 ? fingerprintOf(h.spec) : 'forged-fingerprint';
  const input = { jobId, spec: h.spec, fingerprint } as SparkJobInput;
  await ctx.client.temporal.workflow.start('sparkJob', { workflowId: jobId, taskQueue: ctx.taskQueue, args: [input] });
  ctx.track(jobId, {
    label: `${refused ? 'refused' : 'accepted'} at the edge: ${describe(h)}`,
    expect: refused ? ['FAILED'] : [...TERMINAL_JOB_STATES],
    noLivyCalls: refused,
  });
}

export const hostileSpecs: ScenarioDefinition = {
  name: 'hostile-specs',
  what: 'hostile specs (fast-check): refused field-level or accepted; as raw workflows, never wedged',
  drainTimeoutMs: () => 90_000,
  async run(ctx) {
    const { cases, workflows } = ctx.size.hostileSpecs;
    ctx.step(`${cases} hostile specs at the edge (seed ${SEED})`);
    let accepted = 0;
    const forWorkflows: HostileSpec[] = [];
    let i = 0;
    for (const h of samples(hostileSpec, cases)) {
      const problem = judge(h);
      ctx.check('spec refused field-level or accepted', problem === undefined, `${describe(h)} → ${problem}`);
      try {
        if (parseJobSpec(h.spec).ok) accepted += 1;
      } catch {
        // judged above
      }
      const size = jsonSize(h.spec);
      // Every n-th case that can travel as a workflow input (JSON, well under Temporal's payload limit).
      if (forWorkflows.length < workflows && i++ % Math.max(1, Math.floor(cases / workflows)) === 0 && size !== undefined && size < 200_000) forWorkflows.push(h);
    }
    ctx.step(`${accepted} of ${cases} accepted; ${forWorkflows.length} started as workflows`);
    const sim = await ctx.livy('hostile');
    await ctx.startWorker(chaosWorkerConfig(ctx.taskQueue, [simCluster('hostile', sim)]));
    for (const [n, h] of forWorkflows.entries()) {
      await startRaw(ctx, h, n).catch((err: Error) => ctx.check('hostile workflow started', false, `${describe(h)}: ${err.message.slice(0, 120)}`));
    }
  },
};
