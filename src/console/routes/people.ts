// Looking a person up across clients, and helping them: each action needs a written
// reason, recorded with the operator in the event of the change. The page answers "I never
// got the code" first (each verification's mail story), then suppressions, the sending
// limits and the authenticators. A refusal is said at the form it belongs to; resetting an
// authenticator asks again first (confirm.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEvent } from '../../events/model.js';
import type { RecoveryEndedBy, RecoveryStatus } from '../../recovery/model.js';
import { checkedReason } from '../../operators/support.js';
import { DomainError } from '../../shared/domain-error.js';
import { deliveryStatus } from '../../verification/model.js';
import { askAgain, confirmed } from '../confirm.js';
import { eventWords, noticeWords, whoDid } from '../event-words.js';
import { afterChange, describeRefusal } from '../refusals.js';
import type { ConsoleServices } from '../services.js';
import { consoleContext, field, param } from '../forms.js';
import { page } from '../views.js';
import { limitNames, verdictText } from '../verdict.js';

/** A verification's mail in a few words, for its heading. */
const mailWords: Record<string, string> = {
  queued: 'mail queued',
  deferred: 'mail refused for now, retried',
  sent: 'mail sent',
  bounced: 'mail bounced',
  failed: 'mail not delivered',
  suppressed: 'mail not sent: address suppressed',
};

/** A recovery's state, as support reads it. */
const recoveryWords: Record<RecoveryStatus, string> = {
  code_sent: 'code mailed, not typed yet',
  waiting: 'waiting: the app will be removed',
  completed: 'completed: the app was removed',
  canceled: 'canceled',
  expired: 'expired: the code was never typed',
};

const recoveryEndedBy: Record<RecoveryEndedBy, string> = {
  wait: 'the waiting period ran out',
  support: 'by support',
  sign_in: 'the person signed in with the app',
  portal: 'by the portal',
};

/** Addresses among what a user-reference lookup found, to look the person up by (their verifications are kept by address). */
const addressesIn = (names: string[]) => [...new Set(names.filter((n) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(n)))];

export function registerPeopleRoutes(app: FastifyInstance, services: ConsoleServices) {
  const { support } = services;

  const showPerson = async (request: FastifyRequest, query: string, extra: Record<string, unknown> = {}) => {
    const report = query
      ? await support.lookUp(query, {
          clientId: param(request, 'client', 64) || field(request, 'client', 64) || undefined,
        })
      : null;
    const [clients, operators] = await Promise.all([services.clients.list(), services.operators.list()]);
    const operatorEmail = new Map(operators.map((o) => [o.id, o.email]));
    const people = report && {
      ...report,
      verifications: report.verifications.map((v) => {
        const mail = v.delivery ? deliveryStatus(v.delivery) : null;
        return {
          ...v,
          mail,
          mailWords: mail ? mailWords[mail] : null,
          notDelivered: v.status === 'pending' && (mail === 'bounced' || mail === 'failed' || mail === 'suppressed'),
        };
      }),
      elsewhere: report.email ? [] : addressesIn(report.authenticators.map((a) => a.accountName)),
    };
    const story = (e: AuditEvent) => ({
      what: eventWords[e.type] ?? e.type,
      who: e.actor === 'operator' || e.actor === 'cli' ? whoDid(e, operatorEmail) : null,
    });
    return {
      title: query ? `Person: ${query}` : 'Look a person up',
      query,
      report: people,
      story,
      limitNames,
      verdictText,
      recoveryWords,
      recoveryEndedBy,
      noticeWords,
      now: services.now(),
      clients,
      client: param(request, 'client', 64),
      ...extra,
    };
  };

  app.get('/people', async (request, reply) =>
    page(request, reply, 'people', await showPerson(request, param(request, 'q'))),
  );

  /** The person's page again, saying what was done — or, refused, why not, at the form that was sent. */
  const again =
    (request: FastifyRequest, reply: FastifyReply) => async (extra: Record<string, unknown>, status?: number) =>
      page(
        request,
        reply,
        'people',
        await showPerson(
          request,
          field(request, 'q'),
          extra.error
            ? {
                ...extra,
                error: undefined,
                formError: {
                  form: field(request, 'form', 400),
                  text: extra.error,
                  reason: field(request, 'reason', 600),
                },
              }
            : extra,
        ),
        status,
      );

  /** Runs an action; with `ask`, only after the operator has said yes to what it will do. */
  const action = (
    path: string,
    run: (request: FastifyRequest) => Promise<{ notice: string; recoveryCodes?: string[] }>,
    ask?: (request: FastifyRequest) => Promise<Parameters<typeof askAgain>[2]>,
  ) =>
    app.post(path, async (request, reply) => {
      if (ask && !confirmed(request)) {
        try {
          checkedReason(field(request, 'reason', 600));
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          return again(request, reply)({ error: describeRefusal(error) }, 400);
        }
        return askAgain(request, reply, await ask(request));
      }
      return afterChange(() => run(request), again(request, reply));
    });

  const operator = (request: FastifyRequest) => request.operatorSession!.operator;
  const reason = (request: FastifyRequest) => field(request, 'reason', 600);
  const personPage = (request: FastifyRequest) => `/console/people?${new URLSearchParams({ q: field(request, 'q') })}`;

  action('/people/cancel', async (request) => {
    await support.cancelVerification(
      operator(request),
      field(request, 'client', 64),
      field(request, 'verification', 64),
      reason(request),
      consoleContext(request),
    );
    return { notice: 'The verification is canceled: its codes and its link no longer work.' };
  });
  action('/people/lift', async (request) => {
    await support.liftSuppression(
      operator(request),
      field(request, 'client', 64),
      field(request, 'email'),
      reason(request),
      consoleContext(request),
    );
    return { notice: 'The suppression is lifted: codes can be mailed to the address again.' };
  });
  action(
    '/people/reset-authenticator',
    async (request) => {
      await support.resetAuthenticator(
        operator(request),
        field(request, 'client', 64),
        field(request, 'userRef', 200),
        reason(request),
        consoleContext(request),
      );
      return {
        notice:
          'The second factors are removed: the authenticator app with its recovery codes, and every passkey. The portal will ask the person to set one up again.',
      };
    },
    async (request) => {
      const client = await services.clients.get(field(request, 'client', 64));
      const userRef = field(request, 'userRef', 200);
      return {
        title: `Reset the second factors of ${userRef} at ${client.name}?`,
        consequences: [
          'The authenticator app stops working for this person at once, and so do all their recovery codes and every passkey.',
          `At the next sign-in, ${client.name} asks them to set up an app again${client.secondFactor === 'required' ? ' before the account opens' : ''}.`,
          'It cannot be undone. Do it only once you are sure it is the person asking (the lost-phone case).',
          `Recorded in ${client.name}'s trail with your name and your reason: “${reason(request)}”.`,
        ],
        yes: 'Yes, reset the second factors',
        back: personPage(request),
        fields: {
          q: field(request, 'q'),
          client: client.id,
          userRef,
          reason: reason(request),
          form: field(request, 'form', 400),
        },
      };
    },
  );
  action(
    '/people/recovery-approve',
    async (request) => {
      await support.approveRecovery(
        operator(request),
        field(request, 'client', 64),
        field(request, 'userRef', 200),
        field(request, 'recovery', 64),
        reason(request),
        consoleContext(request),
      );
      return {
        notice:
          'The recovery is approved: the authenticator app and its recovery codes are removed, and the person is told.',
      };
    },
    async (request) => {
      const client = await services.clients.get(field(request, 'client', 64));
      const userRef = field(request, 'userRef', 200);
      return {
        title: `Approve the recovery of ${userRef} at ${client.name} now?`,
        consequences: [
          'The waiting period ends now: the authenticator app and all its recovery codes stop working at once.',
          'Whoever can read the mailbox that typed the recovery code can then sign in with an email code alone — approve only once you are sure it is the person.',
          `The person is mailed that support approved it. At the next sign-in, ${client.name} asks them to set up an app again.`,
          `Recorded in ${client.name}'s trail with your name and your reason: “${reason(request)}”.`,
        ],
        yes: 'Yes, approve the recovery now',
        back: personPage(request),
        fields: {
          q: field(request, 'q'),
          client: client.id,
          userRef,
          recovery: field(request, 'recovery', 64),
          reason: reason(request),
          form: field(request, 'form', 400),
        },
      };
    },
  );
  action('/people/recovery-cancel', async (request) => {
    await support.cancelRecovery(
      operator(request),
      field(request, 'client', 64),
      field(request, 'userRef', 200),
      field(request, 'recovery', 64),
      reason(request),
      consoleContext(request),
    );
    return { notice: 'The recovery is canceled: the authenticator app stays, and the person is told.' };
  });
  action('/people/revoke-browsers', async (request) => {
    const browser = field(request, 'browser', 64);
    const ended = await support.revokeTrustedBrowsers(
      operator(request),
      field(request, 'client', 64),
      field(request, 'userRef', 200),
      browser || undefined,
      reason(request),
      consoleContext(request),
    );
    return {
      notice: `${ended === 1 ? 'The browser is' : `${ended} browsers are`} trusted no more: the next sign-in there asks for the second factor.`,
    };
  });
  action('/people/remove-passkey', async (request) => {
    await support.removePasskey(
      operator(request),
      field(request, 'client', 64),
      field(request, 'userRef', 200),
      field(request, 'passkey', 64),
      reason(request),
      consoleContext(request),
    );
    return { notice: 'The passkey is removed: it signs no one in any more, and the person is told.' };
  });
  action('/people/recovery-codes', async (request) => {
    const { recoveryCodes } = await support.regenerateRecoveryCodes(
      operator(request),
      field(request, 'client', 64),
      field(request, 'userRef', 200),
      reason(request),
      consoleContext(request),
    );
    return {
      notice:
        'New recovery codes: give them to the person over a channel you trust. They are shown only now; the old ones no longer work.',
      recoveryCodes,
    };
  });
}
