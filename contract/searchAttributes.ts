/** Search attributes Shale keeps current so operators can filter jobs in the Web UI and CLI. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA = {
  state: defineSearchAttributeKey('ShaleState', SearchAttributeType.KEYWORD),
  team: defineSearchAttributeKey('ShaleTeam', SearchAttributeType.KEYWORD),
  kind: defineSearchAttributeKey('ShaleKind', SearchAttributeType.KEYWORD),
  cluster: defineSearchAttributeKey('ShaleCluster', SearchAttributeType.KEYWORD),
  /** The current attempt's cluster's EMR name, beside ShaleCluster (its id): a cluster filter matches either. */
  clusterName: defineSearchAttributeKey('ShaleClusterName', SearchAttributeType.KEYWORD),
  attempt: defineSearchAttributeKey('ShaleAttempt', SearchAttributeType.INT),
  requestedBy: defineSearchAttributeKey('ShaleRequestedBy', SearchAttributeType.KEYWORD),
  jobName: defineSearchAttributeKey('ShaleJobName', SearchAttributeType.KEYWORD),
  /** The spec's labels as `key=value` strings, e.g. dag_id=revenue: `shale list --label dag_id=revenue`. */
  labels: defineSearchAttributeKey('ShaleLabels', SearchAttributeType.KEYWORD_LIST),
} as const;

/** `name=Type` pairs, as `temporal server start-dev --search-attribute` and `operator search-attribute create` take them. */
const DECLARED_TYPE = { [SearchAttributeType.INT]: 'Int', [SearchAttributeType.KEYWORD_LIST]: 'KeywordList' } as Record<string, 'Int' | 'KeywordList'>;

export const SEARCH_ATTRIBUTE_DECLARATIONS: ReadonlyArray<[string, 'Keyword' | 'Int' | 'KeywordList']> = Object.values(SA).map((key) => [
  key.name,
  DECLARED_TYPE[key.type] ?? 'Keyword',
]);

export function labelValues(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}
