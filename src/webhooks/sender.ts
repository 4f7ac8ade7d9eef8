// One webhook POST, safely: the name is resolved here and every address it resolves to is
// checked (url-policy.ts) before connecting to it, so a name re-pointed at an internal
// address after the endpoint was added is refused; no redirect is followed; a short
// timeout; only the first bytes of the answer are read.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { checkAddress, checkWebhookUrl, type TargetPolicy } from './url-policy.js';

export interface PostResult {
  /** The HTTP status, when there was an answer. */
  status?: number;
  /** Why it did not succeed (no connection, refused target, timeout, non-2xx). */
  error?: string;
  ok: boolean;
}

export interface SenderOptions {
  policy: TargetPolicy;
  timeoutMs?: number;
  /** How much of a response body is read (for the error text), at most. */
  maxResponseBytes?: number;
}

/** A dns.lookup that refuses names resolving to addresses the policy forbids. */
function guardedLookup(policy: TargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 4);
      for (const a of addresses) {
        const verdict = checkAddress(hostname, a.address, policy);
        if (!verdict.ok) return callback(Object.assign(new Error(verdict.reason), { code: 'EREFUSEDTARGET' }), '', 4);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * Keep-alive agents whose new connections go through the guarded lookup: a connection is
 * checked when it is made, and reused only to the address that was checked.
 */
export function webhookAgents(policy: TargetPolicy) {
  const options = { keepAlive: true, maxSockets: 128, lookup: guardedLookup(policy) };
  return { http: new http.Agent(options), https: new https.Agent(options) };
}

export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: SenderOptions & { agents?: ReturnType<typeof webhookAgents> },
): Promise<PostResult> {
  const verdict = checkWebhookUrl(url, options.policy);
  if (!verdict.ok) return Promise.resolve({ ok: false, error: `refused target: ${verdict.reason}` });
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const agent = options.agents ? (target.protocol === 'https:' ? options.agents.https : options.agents.http) : false;
  const maxBytes = options.maxResponseBytes ?? 4_096;
  return new Promise((resolve) => {
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'mailcode-webhooks',
        },
        // An agent's connections already go through its own guarded lookup.
        ...(agent ? { agent } : { agent: false, lookup: guardedLookup(options.policy) }),
        timeout: options.timeoutMs ?? 5_000,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, 200).replace(/\s+/g, ' ');
          const ok = status >= 200 && status < 300;
          resolve({
            ok,
            status,
            ...(ok
              ? {}
              : {
                  error: `HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}${text ? `: ${text}` : ''}`,
                }),
          });
        };
        response.on('data', (chunk: Buffer) => {
          if (size < maxBytes) chunks.push(chunk.subarray(0, maxBytes - size));
          size += chunk.length;
          if (size >= maxBytes) {
            response.destroy();
            done();
          }
        });
        response.on('end', done);
        response.on('error', () => done());
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs ?? 5_000} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) =>
      resolve({
        ok: false,
        error: error.code === 'EREFUSEDTARGET' ? `refused target: ${error.message}` : error.message.slice(0, 300),
      }),
    );
    request.end(body);
  });
}
