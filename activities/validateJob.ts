/**
 * The first activity of every job: the spec is validated against the contract and the team's
 * policy however the job was started (client, `temporal workflow start`, Web UI), so nothing is
 * submitted on an unchecked spec. It runs in the worker, not the workflow sandbox: zod and the
 * policy never load into (or replay in) workflow code.
 */
import { ApplicationFailure } from '@temporalio/activity';
import {
  ErrorType,
  formatFieldErrors,
  parseJobSpec,
  specFingerprint,
  type SizePreset,
  type SizeSettings,
  type ValidatedJob,
  type ValidateJobInput,
} from '../contract';
import { describeRefusals, policyRefusals, type TeamPolicy } from './policy/teamPolicy';

export interface JobValidationDeps {
  teams: Record<string, TeamPolicy>;
  sizes: Record<SizePreset, SizeSettings>;
}

/** Field errors listed in a failure's message at most; all of them (bounded by the contract) are in its details. */
const MAX_LISTED_ERRORS = 10;

export function createJobValidation(deps: JobValidationDeps) {
  return {
    async validateJob(input: ValidateJobInput): Promise<ValidatedJob> {
      const parsed = parseJobSpec(input.spec);
      if (!parsed.ok) {
        const listed = formatFieldErrors(parsed.errors.slice(0, MAX_LISTED_ERRORS));
        const more = parsed.errors.length - MAX_LISTED_ERRORS;
        throw ApplicationFailure.create({
          type: ErrorType.InvalidSpec,
          message: `invalid job spec: ${listed}${more > 0 ? `; and ${more} more` : ''}`,
          nonRetryable: true,
          details: [parsed.errors],
        });
      }
      const refusals = policyRefusals(parsed.spec, deps.teams, deps.sizes);
      if (refusals.length > 0) {
        throw ApplicationFailure.create({ type: ErrorType.PolicyViolation, message: describeRefusals(refusals), nonRetryable: true, details: [refusals] });
      }
      return { spec: parsed.spec, fingerprint: specFingerprint(parsed.spec) };
    },
  };
}
