// The answers a domain service gives by throwing: what went wrong, in the domain's words.
// A refusal's kind is the code the portal reads; each feature folder declares its refusals
// (refusals.ts: status, title, what it means, what the answer says) and the HTTP edge
// (http/problems.ts) only renders what the refusal came with.

/** One refusal: its kind (the problem code), and what else the answer needs to say. */
export interface Refusal {
  readonly kind: string;
  readonly detail?: string;
}

/** The shapes a problem body takes beyond the plain Problem (named schemas of http/schemas/common.ts). */
export type ProblemBodyShape = 'Problem' | 'InvalidCodeProblem' | 'RateLimitedProblem' | 'UndeliverableProblem';

/** How one kind of refusal is answered. */
export interface RefusalWords<R extends Refusal = Refusal> {
  status: number;
  title: string;
  /** What it means, a line of openapi.yaml. */
  means: string;
  body?: ProblemBodyShape;
  /** What the answer says; without it, the refusal's own detail. */
  detail?: (refusal: R) => string;
  /** Members of the answer beyond type, title, status, detail and code. */
  extra?: (refusal: R) => Record<string, unknown>;
  /** When asking again makes sense: a Retry-After header and `retryAfter` (seconds) in the body. */
  retryAfterMs?: (refusal: R) => number;
}

/** A feature's refusals, every kind of its union with its words. */
export type RefusalTable<R extends Refusal> = { [K in R['kind']]: RefusalWords<Extract<R, { kind: K }>> };

export class DomainError<R extends Refusal = Refusal> extends Error {
  constructor(
    readonly refusal: R,
    readonly words: RefusalWords<R>,
  ) {
    // A refusal is an answer, not a bug: no stack trace to capture (it is never shown or
    // logged), which keeps a wrong code as cheap to answer as a right one.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(refusal.kind);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'DomainError';
  }
}

/** A feature's way of refusing: only the kinds its table declares, each with its words. */
export const refuser =
  <R extends Refusal>(table: RefusalTable<R>) =>
  (refusal: R): DomainError<R> =>
    new DomainError(refusal, table[refusal.kind as R['kind']] as unknown as RefusalWords<R>);

/** Input the schema let through but the domain cannot take; every feature may refuse it. */
export type InvalidRequest = { kind: 'invalid_request'; detail: string };
export const invalidRequest: RefusalWords<InvalidRequest> = {
  status: 400,
  title: 'Invalid request',
  means: 'the body or parameters do not match the schema',
};

/** A wrong code — of a mail or of an authenticator app — and how many attempts are left. */
export type InvalidCode = { kind: 'invalid_code'; attemptsRemaining: number };
export const invalidCode: RefusalWords<InvalidCode> = {
  status: 422,
  title: 'Invalid code',
  means: 'the code is wrong (for an authenticator, also a replayed or used one), with `attemptsRemaining`',
  body: 'InvalidCodeProblem',
  detail: () => 'The code is not correct.',
  extra: (r) => ({ attemptsRemaining: r.attemptsRemaining }),
};

/** A refusal as one line for an operator (the CLI, the console): its detail, or its kind in words. */
export const refusalText = (refusal: Refusal): string => refusal.detail ?? refusal.kind.replaceAll('_', ' ');
