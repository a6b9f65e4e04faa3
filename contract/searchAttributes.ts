/** Search attributes Shale keeps current so operators can filter jobs in the Web UI and CLI. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA = {
  state: defineSearchAttributeKey('ShaleState', SearchAttributeType.KEYWORD),
  team: defineSearchAttributeKey('ShaleTeam', SearchAttributeType.KEYWORD),
  kind: defineSearchAttributeKey('ShaleKind', SearchAttributeType.KEYWORD),
  cluster: defineSearchAttributeKey('ShaleCluster', SearchAttributeType.KEYWORD),
  attempt: defineSearchAttributeKey('ShaleAttempt', SearchAttributeType.INT),
  requestedBy: defineSearchAttributeKey('ShaleRequestedBy', SearchAttributeType.KEYWORD),
  jobName: defineSearchAttributeKey('ShaleJobName', SearchAttributeType.KEYWORD),
} as const;

/** `name=Type` pairs, as `temporal server start-dev --search-attribute` and `operator search-attribute create` take them. */
export const SEARCH_ATTRIBUTE_DECLARATIONS: ReadonlyArray<[string, 'Keyword' | 'Int']> = Object.values(SA).map((key) => [
  key.name,
  key.type === SearchAttributeType.INT ? 'Int' : 'Keyword',
]);
