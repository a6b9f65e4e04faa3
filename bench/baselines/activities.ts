/** The naive baseline's activities: plain fetch (Node's global keep-alive agent), one GET per poll. */
import type { NaiveActivities, NaiveJobInput } from './types';

async function livy<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', 'x-requested-by': 'bench', ...init?.headers } });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export function createNaiveActivities(): NaiveActivities {
  return {
    async postBatch(input: NaiveJobInput) {
      const body = JSON.stringify({ file: 's3://bench/app.py', name: input.name, conf: input.conf });
      return (await livy<{ id: number }>(`${input.livyUrl}/batches`, { method: 'POST', body })).id;
    },
    async getBatchState(livyUrl: string, batchId: number) {
      return (await livy<{ state: string }>(`${livyUrl}/batches/${batchId}`)).state;
    },
  };
}

/** For the history count on the time-skipping server: the batch reports `running` for `polls` GETs, then `success`. */
export function scriptedNaiveActivities(polls: number): NaiveActivities {
  let seen = 0;
  return {
    postBatch: async () => 0,
    getBatchState: async () => (++seen > polls ? 'success' : 'running'),
  };
}
