// Signing in: the address, the mailed code, then the authenticator app — or, the first
// time, its enrolment (QR code, setup key, recovery codes shown once) before anything
// else. Each step that succeeds gives the browser a new session id. Sign-in posts are
// limited per IP, on top of the limits every code and authenticator has.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SignInProblem, StepResult } from '../../operators/sign-in.js';
import type { ConsoleServices } from '../services.js';
import { consoleContext, field } from '../forms.js';
import { clearSessionCookie, presentedCookie, setSessionCookie } from '../cookies.js';
import { helpers, page } from '../views.js';

const problemText: Record<SignInProblem, string> = {
  wrong_code: 'That code is not right, or it is no longer valid. Check the newest mail, or start again for a new code.',
  locked: 'Too many wrong codes: the authenticator is locked for a while.',
  session_ended: 'This sign-in has ended. Start again.',
};

const stagePage = {
  second_factor: '/console/sign-in/authenticator',
  enrol: '/console/sign-in/enrol',
  signed_in: '/console/overview',
  code: '/console/sign-in/code',
} as const;

export async function registerSignInRoutes(app: FastifyInstance, services: ConsoleServices) {
  const { signIn, sessions } = services;
  const csrfOf = (request: FastifyRequest) => presentedCookie(request) ?? '';
  const moved = (request: FastifyRequest, reply: FastifyReply, result: StepResult & { ok: true }) => {
    setSessionCookie(request, reply, result.cookie);
    return reply.redirect(stagePage[result.stage], 303);
  };
  const refused = (
    request: FastifyRequest,
    reply: FastifyReply,
    view: string,
    title: string,
    result: StepResult & { ok: false },
  ) => {
    const message =
      result.problem === 'locked' && result.retryAfterMs
        ? `${problemText.locked} Try again in ${helpers.duration(result.retryAfterMs)}.`
        : problemText[result.problem];
    return page(
      request,
      reply,
      view,
      { title, error: message, csrfFor: csrfOf(request) },
      result.problem === 'locked' ? 429 : 400,
    );
  };

  app.get('/sign-in', { config: { public: true } }, async (request, reply) =>
    page(request, reply, 'sign-in', { title: 'Sign in' }),
  );

  await app.register(async (limited) => {
    await limited.register(rateLimit, {
      global: true,
      max: services.signInLimiter.perMinute,
      timeWindow: 60_000,
      ...(services.signInLimiter.redis
        ? {
            redis: services.signInLimiter.redis.client,
            nameSpace: `${services.signInLimiter.redis.prefix}console-sign-in:`,
          }
        : {}),
      keyGenerator: (request) => request.ip,
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        message: `Too many sign-in attempts from this address. Try again in ${helpers.duration(context.ttl)}.`,
      }),
    });

    limited.post('/sign-in', { config: { public: true, startsSignIn: true } }, async (request, reply) => {
      const email = field(request, 'email');
      if (!email)
        return page(request, reply, 'sign-in', { title: 'Sign in', error: 'Enter your work email address.' }, 400);
      const { cookie } = await signIn.begin(email, consoleContext(request));
      setSessionCookie(request, reply, cookie);
      return reply.redirect('/console/sign-in/code', 303);
    });

    limited.post('/sign-in/code', { config: { public: true } }, async (request, reply) => {
      const result = await signIn.checkCode(
        presentedCookie(request) ?? '',
        field(request, 'code', 20).replace(/\s/g, ''),
        consoleContext(request),
      );
      return result.ok
        ? moved(request, reply, result)
        : refused(request, reply, 'sign-in-code', 'Enter your code', result);
    });

    limited.post('/sign-in/authenticator', { config: { public: true } }, async (request, reply) => {
      const recoveryCode = field(request, 'recoveryCode', 40);
      const answer = recoveryCode ? { recoveryCode } : { code: field(request, 'code', 20).replace(/\s/g, '') };
      const result = await signIn.checkSecondFactor(presentedCookie(request) ?? '', answer, consoleContext(request));
      return result.ok
        ? moved(request, reply, result)
        : refused(request, reply, 'sign-in-authenticator', 'Authenticator app', result);
    });

    limited.post('/sign-in/enrol', { config: { public: true } }, async (request, reply) => {
      const result = await signIn.confirmEnrolment(
        presentedCookie(request) ?? '',
        field(request, 'enrollmentId', 64),
        field(request, 'code', 20).replace(/\s/g, ''),
        consoleContext(request),
      );
      if (!result.ok) {
        if (result.problem === 'session_ended') return refused(request, reply, 'sign-in', 'Sign in', result);
        const enrolment = await signIn.enrol(presentedCookie(request) ?? '');
        return page(
          request,
          reply,
          'sign-in-enrol',
          {
            title: 'Set up your authenticator app',
            enrolment,
            error: problemText[result.problem],
            csrfFor: csrfOf(request),
          },
          400,
        );
      }
      setSessionCookie(request, reply, result.cookie);
      // Shown once, on this answer: the codes are not kept anywhere they could be shown again.
      return page(request, reply, 'recovery-codes', {
        title: 'Your recovery codes',
        recoveryCodes: result.recoveryCodes,
        csrfFor: result.cookie,
      });
    });
  });

  app.get('/sign-in/code', { config: { public: true } }, async (request, reply) => {
    if (!presentedCookie(request)) return reply.redirect('/console/sign-in', 303);
    return page(request, reply, 'sign-in-code', { title: 'Enter your code', csrfFor: csrfOf(request) });
  });

  app.get('/sign-in/authenticator', { config: { public: true } }, async (request, reply) => {
    const found = await sessions.read(presentedCookie(request));
    if (found?.session.stage !== 'second_factor') return reply.redirect('/console/sign-in', 303);
    return page(request, reply, 'sign-in-authenticator', { title: 'Authenticator app', csrfFor: csrfOf(request) });
  });

  app.get('/sign-in/enrol', { config: { public: true } }, async (request, reply) => {
    const enrolment = await signIn.enrol(presentedCookie(request) ?? '');
    if (!enrolment) return reply.redirect('/console/sign-in', 303);
    return page(request, reply, 'sign-in-enrol', {
      title: 'Set up your authenticator app',
      enrolment,
      csrfFor: csrfOf(request),
    });
  });

  app.post('/sign-out', async (request, reply) => {
    await signIn.signOut(
      request.operatorSession!.cookie,
      consoleContext(request),
      field(request, 'everywhere') === 'yes',
    );
    clearSessionCookie(request, reply);
    const everywhere = field(request, 'everywhere') === 'yes';
    request.operatorSession = null;
    return page(request, reply, 'message', {
      title: 'Signed out',
      message: everywhere ? 'You are signed out on every device.' : 'You are signed out.',
    });
  });
}
