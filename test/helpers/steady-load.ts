// A steady stream of sends (each to an address of its own) and wrong-code verifies against
// a running mailcode, recording every answer — for the outage tests, which take a
// dependency away under it. Bounded: it stops when told, or after `maxMs`.
export interface Answer {
  at: number;
  route: 'send' | 'verify';
  /** The HTTP status, or 0 when nothing answered (the process gone). */
  status: number;
  retryAfter: string | null;
  code: string | undefined;
  email?: string;
}

export interface SteadyLoad {
  answers: Answer[];
  /** The addresses whose send was answered 202: each must get its mail, once. */
  accepted: string[];
  stop(): Promise<void>;
}

export function steadyLoad(
  url: string,
  apiKey: string,
  options: { workers?: number; pauseMs?: number; maxMs?: number; prefix?: string } = {},
): SteadyLoad {
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const answers: Answer[] = [];
  const accepted: string[] = [];
  const verifiable: string[] = [];
  const started = Date.now();
  let running = true;
  let n = 0;
  const post = async (route: Answer['route'], path: string, body: unknown, email?: string) => {
    try {
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const json = (await response.json().catch(() => ({}))) as { code?: string; verificationId?: string };
      answers.push({
        at: Date.now(),
        route,
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        code: json.code,
        email,
      });
      return { status: response.status, json };
    } catch {
      answers.push({ at: Date.now(), route, status: 0, retryAfter: null, code: undefined, email });
      return { status: 0, json: {} as { verificationId?: string } };
    }
  };
  const worker = async (w: number) => {
    while (running && Date.now() - started < (options.maxMs ?? 120_000)) {
      const email = `${options.prefix ?? 'load'}-${w}-${n++}@acme.example`;
      const sent = await post('send', '/send-code', { email }, email);
      if (sent.status === 202) {
        accepted.push(email);
        if (sent.json.verificationId) verifiable.push(sent.json.verificationId);
      }
      const id = verifiable[verifiable.length - 1];
      if (id) await post('verify', '/verify-code', { verificationId: id, code: '000000' });
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 40));
    }
  };
  const workers = Array.from({ length: options.workers ?? 3 }, (_, w) => worker(w));
  return {
    answers,
    accepted,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

/** Counts of "route status" in a slice of the answers, e.g. { 'send 202': 40, 'send 503': 12 }. */
export function tally(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) counts[`${a.route} ${a.status}`] = (counts[`${a.route} ${a.status}`] ?? 0) + 1;
  return counts;
}
