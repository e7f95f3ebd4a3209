/**
 * RFC 9457 problem details: every error the broker returns is one of these, with a stable `code`
 * that clients switch on. `detail` is written for people and never contains a token, key or secret.
 */

export interface ProblemInit {
  status: number;
  code: string;
  title: string;
  detail: string;
  headers?: Record<string, string>;
  /** Extra members (e.g. `field`), safe to show to the caller. */
  extra?: Record<string, unknown>;
  /** The precise reason, for the log only (never sent). */
  logReason?: string;
}

export class Problem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly headers: Record<string, string>;
  readonly extra: Record<string, unknown>;
  readonly logReason: string | undefined;

  constructor(init: ProblemInit) {
    super(init.detail);
    this.name = "Problem";
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.headers = init.headers ?? {};
    this.extra = init.extra ?? {};
    this.logReason = init.logReason;
  }
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function problemBody(p: Problem, requestId: string | undefined): Record<string, unknown> {
  return {
    type: `urn:usersig-broker:problem:${p.code.toLowerCase().replaceAll("_", "-")}`,
    title: p.title,
    status: p.status,
    detail: p.detail,
    code: p.code,
    ...p.extra,
    ...(requestId ? { requestId } : {}),
  };
}

export function problemResponse(p: Problem, requestId: string | undefined): Response {
  const headers = new Headers(p.headers);
  headers.set("Content-Type", PROBLEM_CONTENT_TYPE);
  headers.set("Cache-Control", "no-store");
  return new Response(JSON.stringify(problemBody(p, requestId)), { status: p.status, headers });
}

/** Constructors for the problems used in more than one place. */
export const problems = {
  badRequest: (detail: string, extra?: Record<string, unknown>) =>
    new Problem({ status: 400, code: "BAD_REQUEST", title: "Bad request", detail, ...(extra ? { extra } : {}) }),
  /**
   * `tokenGiven: false` when the request carried no credentials at all: RFC 6750 then wants the
   * challenge without an `error` attribute.
   */
  unauthorized: (
    scheme: "Bearer" | "ApiKey" | "GuestTicket",
    logReason: string,
    options: { tokenGiven?: boolean; realm?: string } = {},
  ) => {
    const realm = options.realm ?? "usersig-broker";
    const bearerError = options.tokenGiven === false ? "" : ', error="invalid_token"';
    return new Problem({
      status: 401,
      code: "UNAUTHORIZED",
      title: "Unauthorized",
      detail: "The credentials are missing or not valid.",
      headers: {
        "WWW-Authenticate":
          scheme === "Bearer" ? `Bearer realm="${realm}"${bearerError}` : `${scheme} realm="${realm}"`,
      },
      logReason,
    });
  },
  forbidden: (code: string, detail: string, logReason?: string) =>
    new Problem({ status: 403, code, title: "Forbidden", detail, ...(logReason ? { logReason } : {}) }),
  notFound: (detail = "No such resource.", code = "NOT_FOUND") =>
    new Problem({ status: 404, code, title: "Not found", detail }),
  unavailable: (code: string, detail: string, retryAfterSeconds: number, logReason?: string) =>
    new Problem({
      status: 503,
      code,
      title: "Service unavailable",
      detail,
      headers: { "Retry-After": String(retryAfterSeconds) },
      ...(logReason ? { logReason } : {}),
    }),
  configError: (detail: string) =>
    new Problem({ status: 500, code: "CONFIG_ERROR", title: "Broker misconfigured", detail }),
};
