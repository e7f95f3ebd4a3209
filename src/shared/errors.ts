/**
 * The broker's domain errors: each part throws its own subclass (a stable `code`, a log-only `reason`,
 * data the caller may see). No HTTP here: src/http/problem.ts lists every subclass and maps its codes.
 */

/** Which credentials the caller should present (the table turns it into WWW-Authenticate). */
export type Challenge = "Bearer" | "ApiKey" | "GuestTicket";

export interface ErrorData {
  /** The input field at fault, e.g. "userId" or "apps[0].sdkAppId". */
  field?: string;
  /** When trying again can succeed: seconds to wait. */
  retryAfterSeconds?: number;
  /** A credential failure: what to present instead. */
  challenge?: Challenge;
  /** False when the request carried no credentials at all (RFC 6750: no `error` attribute then). */
  credentialsGiven?: boolean;
  /** Rate-limit windows that refused the request, e.g. "usersig-guest-60". */
  violatedPolicies?: readonly string[];
}

export abstract class BrokerError<C extends string = string> extends Error {
  readonly code: C;
  /** The precise reason, for the log only (never sent): written by this codebase, free of credentials. */
  readonly reason: string | undefined;
  readonly data: ErrorData;

  /** `detail` is for people, safe to show: never a token, key or secret, never an input echoed. */
  constructor(code: C, detail: string, options: { reason?: string | undefined; data?: ErrorData } = {}) {
    super(detail);
    this.code = code;
    this.reason = options.reason;
    this.data = options.data ?? {};
  }

  get detail(): string {
    return this.message;
  }
}

/**
 * `operation()` (a KV read or write, say) with any failure turned into `unavailable(kind)`: a domain
 * error the caller can retry (a 503). A BrokerError thrown on purpose passes through. `kind` is the
 * failure's error name only: a message may quote a key.
 */
export async function unavailableOnFailure<T>(
  operation: () => Promise<T>,
  unavailable: (kind: string) => BrokerError,
): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof BrokerError) throw error;
    throw unavailable(errorName(error));
  }
}

/** What a log line may say about a failure: its class only (a KV error's message may quote a key). */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "unknown";
}
