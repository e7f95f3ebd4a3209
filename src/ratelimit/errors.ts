/** A rate-limit refusal, or the counters could not be read (fail-closed policies). */
import { BrokerError } from "../shared/errors.js";

export type RateLimitErrorCode = "RATE_LIMITED" | "GUEST_BUDGET_EXHAUSTED" | "RATE_LIMIT_UNAVAILABLE";

export class RateLimitError extends BrokerError<RateLimitErrorCode> {
  override readonly name = "RateLimitError";
}
