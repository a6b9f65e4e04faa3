/** What the baseline workflows and their activities share. */
export interface NaiveJobInput {
  livyUrl: string;
  name: string;
  conf: Record<string, string>;
  pollSeconds: number;
}

export interface NaiveActivities {
  postBatch(input: NaiveJobInput): Promise<number>;
  getBatchState(livyUrl: string, batchId: number): Promise<string>;
}
