/** Builds the visibility query behind `shale list`, refusing values that could alter the query. */
import { JOB_STATES, WORKFLOW_TYPE } from '../contract';

export interface ListFilter {
  team?: string;
  state?: string;
  cluster?: string;
  name?: string;
  requestedBy?: string;
  /** `key=value` pairs the job's labels must all include. */
  labels?: string[];
  /** Only jobs started at or after this time. */
  since?: Date;
  limit?: number;
}

const SAFE_VALUE = /^[A-Za-z0-9 _.\-:@/=+]{1,200}$/;

function quoted(field: string, value: string): string {
  if (!SAFE_VALUE.test(value)) throw new Error(`${field}: letters, digits, space and _ . - : @ / only`);
  return `'${value}'`;
}

export function buildListQuery(filter: ListFilter): string {
  const clauses = [`WorkflowType = '${WORKFLOW_TYPE}'`];
  if (filter.team) clauses.push(`ShaleTeam = ${quoted('team', filter.team)}`);
  if (filter.state) {
    const state = filter.state.toUpperCase();
    if (!(JOB_STATES as readonly string[]).includes(state)) throw new Error(`state: one of ${JOB_STATES.join(', ')}`);
    clauses.push(`ShaleState = '${state}'`);
  }
  // A cluster is named by its id (j-…) or its EMR name: either matches.
  if (filter.cluster) clauses.push(`(ShaleCluster = ${quoted('cluster', filter.cluster)} OR ShaleClusterName = ${quoted('cluster', filter.cluster)})`);
  if (filter.name) clauses.push(`ShaleJobName = ${quoted('name', filter.name)}`);
  if (filter.requestedBy) clauses.push(`ShaleRequestedBy = ${quoted('requestedBy', filter.requestedBy)}`);
  for (const label of filter.labels ?? []) {
    if (!/^[^=]+=.*$/.test(label)) throw new Error(`label ${label}: expected key=value`);
    clauses.push(`ShaleLabels = ${quoted('label', label)}`);
  }
  if (filter.since) clauses.push(`StartTime >= '${filter.since.toISOString()}'`);
  return clauses.join(' AND ');
}
