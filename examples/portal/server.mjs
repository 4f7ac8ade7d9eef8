// An example portal that uses mailcode through `mailcode/client` only: sign-up proves the
// address before a password is set, and every returning login asks for a second factor:
// a code from the user's authenticator app when they have activated one (Account →
// Security), a mailed code otherwise.
//
//   MAILCODE_URL=http://127.0.0.1:3000 MAILCODE_API_KEY=mc_… MAILCODE_CLIENT_ID=cl_… \
//   MAILCODE_ISSUER=http://localhost:3000 PORT=4000 node examples/portal/server.mjs
//
// When the mail server refuses the code mail, the person waiting on the code page hears it
// at once ("Your mail server refused the message (mailbox unknown); check the address"):
// mailcode's webhook tells the portal, the portal tells the page over server-sent events.
// Register the portal's webhook and give it the signing secret:
//
//   mailcode webhooks add cl_… http://127.0.0.1:4000/mailcode/webhooks \
//     --event mail.sent --event mail.deferred --event mail.bounced --event mail.suppressed --event mail.failed \
//     --event person.address_gone
//
// person.address_gone: the company's mail server refuses a person's address for good (they
// left): the portal disables the account.
//   MAILCODE_WEBHOOK_SECRET=whsec_… (with the variables above)
//
// One click from the mail: give mailcode this portal's landing page, and each code mail
// carries a "Continue to Acme Portal" button that works only in the browser that asked:
//
//   mailcode clients update cl_… --continue-url http://127.0.0.1:4000/verify-email
//
// Passkeys: name the portal's relying party (a passkey here signs a person in alone, from
// the address field's autofill or the "Sign in with a passkey" button; Account → Security
// adds them). WebAuthn needs https, or http on localhost:
//
//   mailcode clients passkeys cl_… --rp-id localhost --origin http://localhost:4000 --alone
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import {
  AddressUndeliverableError,
  AlreadyVerifiedError,
  CodeExpiredError,
  DifferentBrowserError,
  LinkNotFoundError,
  VerificationCanceledError,
  DomainNotAllowedError,
  InvalidCodeError,
  InvalidRequestError,
  MailcodeClient,
  MemoryReplayStore,
  RateLimitedError,
  EmailProofNeededError,
  RecoveryClosedError,
  RecoveryPendingError,
  TrustedBrowserRefusedError,
  TooManyAttemptsError,
  WebhookVerificationError,
  WebhookVerifier,
  browserBinding,
  newBrowserSecret,
  deliveryNotice,
  deliveryReason,
  verifyAssertion,
  verifySecondFactorAssertion,
  verifyPasskeyAssertion,
  assuranceLevels,
  MailcodeError,
  PasskeysNotSetUpError,
  PasskeyNotFoundError,
} from 'mailcode/client';
import {
  codeForm,
  continueForm,
  deliveryMessage,
  emailForm,
  escapeHtml,
  linkProblem,
  page,
  passwordForm,
  recoveryCodeForm,
  recoveryCodesPage,
  recoveryWaitingPage,
  securityPage,
  totpLoginForm,
  totpSetupForm,
} from './pages.mjs';

const mailcode = new MailcodeClient({ baseUrl: process.env.MAILCODE_URL, apiKey: process.env.MAILCODE_API_KEY });
const assertionOptions = {
  issuer: process.env.MAILCODE_ISSUER ?? process.env.MAILCODE_URL, // mailcode's PUBLIC_URL
  audience: process.env.MAILCODE_CLIENT_ID,
  // The keys are fetched where the portal reaches mailcode, which need not be PUBLIC_URL.
  jwksUrl: `${process.env.MAILCODE_URL}/.well-known/jwks.json`,
  replayStore: new MemoryReplayStore(),
};

// In memory: this is an example, not a user database.
const users = new Map(); // email → { id, salt, hash } (id: the userRef mailcode knows the user by)
const flows = new Map(); // flow id → { purpose, email, verificationId, resendAfter, verified, userRef }
const sessions = new Map(); // session id → email
const enrollments = new Map(); // email → the authenticator-app enrolment being set up
const flowOfVerification = new Map(); // mailcode verification id → flow id
const watchers = new Map(); // flow id → the code pages listening for delivery news (event streams)
const webhooks = process.env.MAILCODE_WEBHOOK_SECRET
  ? new WebhookVerifier(process.env.MAILCODE_WEBHOOK_SECRET)
  : undefined;
const webhooksHandled = new Set(); // webhook-ids: mailcode delivers at least once

const hashPassword = (password, salt) => scryptSync(password, salt, 32);

// The browser's half of the passkey ceremonies: @simplewebauthn/browser's bundle, and this
// portal's few lines around it.
const assets = {
  '/assets/webauthn.js': readFileSync(
    join(dirname(createRequire(import.meta.url).resolve('@simplewebauthn/browser')), '../dist/bundle/index.umd.min.js'),
  ),
  '/assets/passkeys.js': readFileSync(new URL('./passkeys.js', import.meta.url)),
};
const sendAsset = (response, name) => {
  response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=3600' });
  response.end(assets[name]);
};

/** Options for a sign-in with any of the portal's passkeys (rendered with the log-in page); none when passkeys are off. */
async function passkeySignInOptions() {
  try {
    return await mailcode.startPasskeySignIn();
  } catch (error) {
    if (
      error instanceof PasskeysNotSetUpError ||
      (error instanceof MailcodeError && error.code === 'first_factor_needed')
    )
      return undefined;
    throw error;
  }
}

const loginForm = async (extra = {}) =>
  emailForm({
    action: '/login',
    button: 'Log in',
    withPassword: true,
    passkeyOptions: await passkeySignInOptions(),
    ...extra,
  });

/** The person a user reference names (mailcode's assertion says only that). */
const emailOf = (userRef) => [...users].find(([, u]) => u.id === userRef)?.[0];

/** A body over the limit: answered 413, and the connection closed instead of read on. */
class BodyTooLarge extends Error {}

function readBody(request, limit = 64_000) {
  if (Number(request.headers['content-length']) > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => {
      body += chunk;
      if (body.length <= limit) return;
      request.removeAllListeners('data').pause();
      reject(new BodyTooLarge());
    });
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

const readForm = async (request, limit = 10_000) =>
  Object.fromEntries(new URLSearchParams(await readBody(request, limit)));

function send(response, status, html, headers = {}) {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
  response.end(html);
}

/** The message a person should see for each thing mailcode can say no to. */
function explain(error) {
  if (error instanceof DomainNotAllowedError)
    return 'Please use your company email address. Personal and disposable addresses cannot be used here.';
  if (error instanceof InvalidRequestError) return 'That does not look like an email address.';
  if (error instanceof RateLimitedError)
    return `Too many codes were requested. Please try again in ${error.retryAfter} seconds.`;
  if (error instanceof InvalidCodeError) {
    return error.attemptsRemaining > 0
      ? `That code is not right. ${error.attemptsRemaining} ${error.attemptsRemaining === 1 ? 'attempt' : 'attempts'} left.`
      : 'That code is not right, and that was the last attempt. Send a new code.';
  }
  if (error instanceof TooManyAttemptsError) {
    return error.retryAfter
      ? `Too many wrong codes. Try again in ${Math.ceil(error.retryAfter / 60)} minutes.`
      : 'Too many wrong codes. Send a new code to try again.';
  }
  if (error instanceof CodeExpiredError) return 'This code has expired. Send a new code.';
  if (error instanceof AddressUndeliverableError) {
    const reason = deliveryReason(error.enhancedStatus);
    return `Mail to this address was refused${reason ? ` (${reason})` : ''}. Check the address, or use another one.`;
  }
  throw error;
}

/**
 * This browser's secret for continue links, kept in an HttpOnly cookie: mailcode gets only
 * its hash, and a link from the mail works where the secret is. Made when a code is asked
 * for, never on a page a link opens.
 */
function browserSecret(request, response) {
  const existing = cookie(request, 'mc_browser');
  if (existing) return existing;
  const secret = newBrowserSecret();
  addCookie(response, `mc_browser=${secret}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${90 * 86400}`);
  return secret;
}

/** The browser's first language (Accept-Language), for the mail: mailcode falls back to the client's default. */
const localeOf = (request) => {
  const first = (request.headers['accept-language'] ?? '').split(',')[0].split(';')[0].trim();
  return /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(first) ? first : undefined;
};

/** Another Set-Cookie beside those already set on the answer. */
function addCookie(response, value) {
  response.setHeader('set-cookie', [...cookiesSetOn(response), value]);
}

/** The trusted browser's token, kept where only the server reads it; cleared with Max-Age=0. */
const trustCookie = (token, maxAgeSeconds) =>
  `mc_trust=${token}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${maxAgeSeconds}`;

/** A browser's name for the person's list, from its User-Agent: "Firefox on Windows". */
function browserLabel(request) {
  const ua = request.headers['user-agent'] ?? '';
  const browserName = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : 'A browser';
  const system = /Windows/.test(ua)
    ? 'Windows'
    : /Android/.test(ua)
      ? 'Android'
      : /iPhone|iPad/.test(ua)
        ? 'iOS'
        : /Mac OS/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : 'an unknown system';
  return `${browserName} on ${system}`;
}

const cookie = (request, name) => new RegExp(`(?:^|;\\s*)${name}=([^;]+)`).exec(request.headers.cookie ?? '')?.[1];

async function startFlow(request, response, purpose, email, title) {
  // The person's reference: a new one for a sign-up (the account takes it), theirs for a
  // log in. mailcode records the address as proven for it: where a recovery's code and the
  // security notices go.
  const userRef = users.get(email.trim().toLowerCase())?.id ?? `u_${randomBytes(9).toString('base64url')}`;
  const sent = await mailcode.sendCode({
    email,
    purpose,
    userRef,
    locale: localeOf(request),
    browserBinding: browserBinding(browserSecret(request, response)),
  });
  const flowId = randomBytes(16).toString('base64url');
  flows.set(flowId, {
    purpose,
    email: sent.email,
    userRef,
    verificationId: sent.verificationId,
    resendAfter: sent.resendAfter,
  });
  flowOfVerification.set(sent.verificationId, flowId);
  send(
    response,
    200,
    page(
      title,
      codeForm({
        action: `/${purpose}/verify`,
        resendAction: '/resend',
        flowId,
        email: sent.email,
        resendAfter: sent.resendAfter,
      }),
    ),
  );
}

const routes = {
  'GET /': (_q, response, user) =>
    user && users.get(user)?.disabled
      ? send(response, 403, disabledPage())
      : send(
          response,
          200,
          page(
            'Acme Portal',
            user
              ? `<p>Signed in as <strong>${escapeHtml(user)}</strong>.</p><p><a href="/security">Account → Security</a></p>`
              : '<p><a href="/signup">Create an account</a> or <a href="/login">log in</a>.</p>',
          ),
        ),

  'GET /signup': (_q, response) =>
    send(
      response,
      200,
      page('Create your account', emailForm({ action: '/signup', button: 'Send verification code' })),
    ),

  'POST /signup': async (request, response) => {
    const { email = '' } = await readForm(request);
    try {
      await startFlow(request, response, 'signup', email, 'Check your email');
    } catch (error) {
      send(
        response,
        200,
        page(
          'Create your account',
          emailForm({ action: '/signup', button: 'Send verification code', error: explain(error), email }),
        ),
      );
    }
  },

  'GET /login': async (_q, response) => send(response, 200, page('Log in', await loginForm())),

  'GET /assets/webauthn.js': (_q, response) => sendAsset(response, '/assets/webauthn.js'),
  'GET /assets/passkeys.js': (_q, response) => sendAsset(response, '/assets/passkeys.js'),

  // Related Origin Requests: this portal's other domains may use its passkeys.
  'GET /.well-known/webauthn': async (_q, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(await mailcode.passkeyRelatedOrigins()));
  },

  // A passkey alone signs the person in — when the authenticator verified them (PIN,
  // fingerprint: mailcode says two factors, acr …:2fa); a passkey that only saw them
  // present is not enough here, and the password log in stays.
  'POST /login/passkey': async (request, response) => {
    const { response: answer = '' } = await readForm(request, 20_000);
    const refused = async () =>
      send(
        response,
        200,
        page(
          'Log in',
          await loginForm({
            error: 'That passkey did not sign you in. Try again, or log in with your password.',
            autofill: false,
          }),
        ),
      );
    let email;
    try {
      const signedIn = await mailcode.finishPasskeySignIn(JSON.parse(answer));
      const claims = await verifyPasskeyAssertion(signedIn.assertion, {
        ...assertionOptions,
        acr: [assuranceLevels.twoFactors],
      });
      email = emailOf(claims.sub);
    } catch (error) {
      if (!(error instanceof MailcodeError) && !(error instanceof SyntaxError) && error.name !== 'AssertionError')
        throw error;
      return refused();
    }
    if (!email) return refused();
    if (users.get(email).disabled) return send(response, 403, disabledPage());
    signIn(response, email, 'Signed in');
  },

  'POST /security/passkeys/add': async (request, response, user) => {
    if (!user) return redirectToLogin(response);
    const { response: answer = '' } = await readForm(request, 40_000);
    const userRef = users.get(user).id;
    let notice = 'Passkey added: it signs you in from now on.';
    try {
      await mailcode.finishPasskeyRegistration(userRef, JSON.parse(answer));
    } catch (error) {
      if (!(error instanceof MailcodeError) && !(error instanceof SyntaxError)) throw error;
      notice = 'That passkey could not be added. Try again.';
    }
    send(response, 200, await securityPageFor(userRef, notice, user));
  },

  'POST /security/passkeys/rename': async (request, response, user) => {
    if (!user) return redirectToLogin(response);
    const { passkey = '', name = '' } = await readForm(request);
    const userRef = users.get(user).id;
    let notice = 'Passkey renamed.';
    try {
      await mailcode.renamePasskey(userRef, passkey, name.trim());
    } catch (error) {
      if (!(error instanceof MailcodeError)) throw error;
      notice = 'That name cannot be used.';
    }
    send(response, 200, await securityPageFor(userRef, notice, user));
  },

  'POST /security/passkeys/remove': async (request, response, user) => {
    if (!user) return redirectToLogin(response);
    const { passkey = '' } = await readForm(request);
    const userRef = users.get(user).id;
    let notice = 'Passkey removed: it no longer signs you in.';
    try {
      await mailcode.removePasskey(userRef, passkey);
    } catch (error) {
      if (!(error instanceof PasskeyNotFoundError)) throw error;
      notice = 'That passkey was removed already.';
    }
    send(response, 200, await securityPageFor(userRef, notice, user));
  },

  'POST /login': async (request, response) => {
    const { email = '', password = '' } = await readForm(request);
    const user = users.get(email.trim().toLowerCase());
    if (user?.disabled && timingSafeEqual(user.hash, hashPassword(password, user.salt)))
      return send(response, 403, disabledPage());
    if (!user || !timingSafeEqual(user.hash, hashPassword(password, user.salt))) {
      return send(response, 200, page('Log in', await loginForm({ email, error: 'Wrong email or password.' })));
    }
    try {
      // With an authenticator app the app's code is the second factor — unless this browser
      // is trusted (its token stands in, once, and is replaced); otherwise a mailed code.
      if ((await mailcode.totpStatus(user.id)).enabled) {
        const trusted = await trustedSignIn(request, response, user.id);
        if (trusted === 'signed-in') return signIn(response, email.trim().toLowerCase(), 'Signed in');
        if (trusted === 'prove-email') return startFlow(request, response, 'login', email, 'Enter your code');
        return startTotpLogin(response, email, user.id);
      }
      await startFlow(request, response, 'login', email, 'Enter your code');
    } catch (error) {
      send(
        response,
        200,
        page(
          'Log in',
          emailForm({ action: '/login', button: 'Log in', withPassword: true, email, error: explain(error) }),
        ),
      );
    }
  },

  'POST /resend': async (request, response) => {
    const { flow = '' } = await readForm(request);
    const state = flows.get(flow);
    if (!state)
      return send(response, 400, page('Start again', '<p>This page has expired. <a href="/">Start again</a>.</p>'));
    let error = '';
    try {
      const sent = await mailcode.sendCode({
        email: state.email,
        purpose: state.purpose,
        userRef: state.userRef,
        locale: localeOf(request),
        browserBinding: browserBinding(browserSecret(request, response)),
      });
      flowOfVerification.delete(state.verificationId);
      Object.assign(state, { verificationId: sent.verificationId, resendAfter: sent.resendAfter, delivery: undefined });
      flowOfVerification.set(sent.verificationId, flow);
    } catch (caught) {
      error = explain(caught);
    }
    send(
      response,
      200,
      page(
        'Enter your code',
        codeForm({
          action: `/${state.purpose}/verify`,
          resendAction: '/resend',
          flowId: flow,
          email: state.email,
          resendAfter: state.resendAfter,
          error,
        }),
      ),
    );
  },

  // The code page listens here (EventSource) for what happened to its mail.
  'GET /delivery': async (request, response) => {
    const flowId = new URL(request.url, 'http://portal').searchParams.get('flow') ?? '';
    const state = flows.get(flowId);
    if (!state?.verificationId) return send(response, 404, page('Not found', ''));
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    const streams = watchers.get(flowId) ?? new Set();
    watchers.set(flowId, streams.add(response));
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 25_000);
    request.on('close', () => {
      clearInterval(keepAlive);
      streams.delete(response);
      if (streams.size === 0) watchers.delete(flowId);
    });
    if (state.delivery === undefined) {
      // Nothing heard yet: start from what mailcode knows now. A webhook that comes
      // meanwhile is newer, and is kept.
      const known = await mailcode.getVerification(state.verificationId).then(deliveryNotice, () => null);
      state.delivery ??= known;
    }
    tellPage(response, state.delivery);
  },

  // mailcode's webhook: only requests signed with the endpoint's secret are believed.
  'POST /mailcode/webhooks': async (request, response) => {
    if (!webhooks) return send(response, 404, page('Not found', ''));
    let message;
    try {
      message = webhooks.verify(await readBody(request), request.headers);
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      response.writeHead(400).end();
      return;
    }
    const id = request.headers['webhook-id'];
    if (!webhooksHandled.has(id)) {
      webhooksHandled.add(id);
      // A repeat comes within minutes: the newest ten thousand ids are enough to recognise it.
      if (webhooksHandled.size > 10_000) webhooksHandled.delete(webhooksHandled.values().next().value);
      if (message.type === 'person.address_gone') disableAccount(message.data.subject);
      else hearDelivery(message);
    }
    response.writeHead(204).end();
  },

  // The page the mail's continue link opens. Mail scanners open every link, run the page
  // and click its buttons: so this page changes nothing and sends nothing when it loads —
  // its script only copies the token from the link's fragment into the form — and the
  // button's request is refused by mailcode unless it comes from the browser that asked.
  'GET /verify-email': (_q, response) =>
    send(response, 200, page('Continue', continueForm()), {
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    }),

  'POST /verify-email': async (request, response) => {
    const { token = '' } = await readForm(request);
    const secret = cookie(request, 'mc_browser');
    try {
      // The person's IP: unknown links are counted per IP, so one prober does not use up everyone's.
      const endUserIp = request.socket.remoteAddress;
      const { assertion } = await mailcode.verifyLink({
        token,
        endUserIp,
        ...(secret ? { browserBinding: browserBinding(secret) } : {}),
      });
      const claims = await verifyAssertion(assertion, assertionOptions);
      const flowId = flowOfVerification.get(claims.jti);
      const state = flowId && flows.get(flowId);
      if (!state)
        return send(
          response,
          200,
          page(
            'Start again',
            '<p>Your address is confirmed, but this sign-in has expired. <a href="/">Start again</a>.</p>',
          ),
        );
      if (state.purpose === 'signup') {
        state.verified = true;
        return send(response, 200, page('Choose a password', passwordForm({ flowId })));
      }
      endFlow(flowId);
      await openAccount(response, claims.email, 'Signed in');
    } catch (error) {
      send(response, 200, page(...linkProblem(linkTrouble(error))));
    }
  },

  'POST /signup/verify': (request, response) => verify(request, response, 'signup'),
  'POST /login/verify': (request, response) => verify(request, response, 'login'),

  'POST /signup/password': async (request, response) => {
    const { flow = '', password = '' } = await readForm(request);
    const state = flows.get(flow);
    if (!state?.verified || state.purpose !== 'signup')
      return send(response, 400, page('Start again', '<p><a href="/signup">Start again</a>.</p>'));
    if (password.length < 8)
      return send(
        response,
        200,
        page('Choose a password', passwordForm({ flowId: flow, error: 'Use at least 8 characters.' })),
      );
    const salt = randomBytes(16);
    users.set(state.email, {
      id: state.userRef,
      salt,
      hash: hashPassword(password, salt),
    });
    endFlow(flow);
    await openAccount(response, state.email, 'Account created');
  },

  'POST /login/totp': async (request, response) => {
    const { flow = '', code = '', recoveryCode, remember } = await readForm(request);
    const state = flows.get(flow);
    if (state?.purpose !== 'totp')
      return send(response, 400, page('Start again', '<p><a href="/login">Start again</a>.</p>'));
    const recovery = recoveryCode !== undefined;
    try {
      const { assertion } = recovery
        ? await mailcode.recoverTotp({ userRef: state.userRef, recoveryCode })
        : await mailcode.verifyTotp({ userRef: state.userRef, code: code.trim() });
      await verifySecondFactorAssertion(assertion, { ...assertionOptions, userRef: state.userRef });
      endFlow(flow);
      if (remember === 'yes') {
        // A full sign-in: this browser may skip the app for a while (mailcode mails the person).
        const trusted = await mailcode.trustBrowser(state.userRef, {
          browserBinding: browserBinding(browserSecret(request, response)),
          label: browserLabel(request),
        });
        addCookie(response, trustCookie(trusted.token, 90 * 86400));
      }
      signIn(response, state.email, 'Signed in');
    } catch (error) {
      send(
        response,
        200,
        page('Two-step verification', totpLoginForm({ flowId: flow, recovery, error: explain(error) })),
      );
    }
  },
  // "Lost your phone?": a code to the address the person proved; a right one starts
  // mailcode's waiting period, at whose end the app is removed (the next log in enrols anew).
  'POST /login/totp/lost': async (request, response) => {
    const { flow = '' } = await readForm(request);
    const state = flows.get(flow);
    if (state?.purpose !== 'totp')
      return send(response, 400, page('Start again', '<p><a href="/login">Start again</a>.</p>'));
    try {
      const recovery = await mailcode.startRecovery(state.userRef, {
        locale: localeOf(request),
        endUserIp: request.socket.remoteAddress,
      });
      state.recoveryId = recovery.id;
    } catch (error) {
      if (!(error instanceof RecoveryPendingError))
        return send(
          response,
          200,
          page('Two-step verification', totpLoginForm({ flowId: flow, error: explain(error) })),
        );
      // One is under way already: carry on with it.
      const pending = await mailcode.getRecovery(state.userRef, error.recoveryId);
      state.recoveryId = pending.id;
      if (pending.status === 'waiting')
        return send(response, 200, page('Recovery under way', recoveryWaitingPage(pending)));
    }
    send(response, 200, page('Recover your account', recoveryCodeForm({ flowId: flow })));
  },

  'POST /login/totp/lost/confirm': async (request, response) => {
    const { flow = '', code = '' } = await readForm(request);
    const state = flows.get(flow);
    if (state?.purpose !== 'totp' || !state.recoveryId)
      return send(response, 400, page('Start again', '<p><a href="/login">Start again</a>.</p>'));
    try {
      const recovery = await mailcode.confirmRecovery(state.userRef, state.recoveryId, code.trim());
      endFlow(flow);
      if (recovery.status === 'completed')
        return send(
          response,
          200,
          page(
            'Authenticator app removed',
            '<p>Your authenticator app was removed. <a href="/login">Log in</a> to set up a new one.</p>',
          ),
        );
      send(response, 200, page('Recovery under way', recoveryWaitingPage(recovery)));
    } catch (error) {
      const message =
        error instanceof RecoveryClosedError || error instanceof CodeExpiredError
          ? 'This recovery can no longer be confirmed. Go back to log in and start again.'
          : explain(error);
      send(response, 200, page('Recover your account', recoveryCodeForm({ flowId: flow, error: message })));
    }
  },

  'POST /security/browsers/revoke': async (request, response, user) => {
    if (!user) return redirectToLogin(response);
    const { browser = '' } = await readForm(request);
    const userRef = users.get(user).id;
    await mailcode.revokeTrustedBrowsers(userRef, browser || undefined);
    send(response, 200, await securityPageFor(userRef, 'Done: the next log in there asks for your authenticator app.'));
  },

  'POST /security/recovery/cancel': async (request, response, user) => {
    if (!user) return redirectToLogin(response);
    const { recovery = '' } = await readForm(request);
    const userRef = users.get(user).id;
    let notice = 'The recovery is canceled: your authenticator app stays.';
    try {
      await mailcode.cancelRecovery(userRef, recovery);
    } catch (error) {
      if (!(error instanceof RecoveryClosedError)) throw error;
      notice = 'That recovery had already ended.';
    }
    send(response, 200, await securityPageFor(userRef, notice));
  },

  'POST /login/totp/recovery': (request, response) => switchTotpForm(request, response, true),
  'POST /login/totp/app': (request, response) => switchTotpForm(request, response, false),

  'GET /security': async (_q, response, user) => {
    if (!user) return redirectToLogin(response);
    if (users.get(user).disabled) return send(response, 403, disabledPage());
    send(response, 200, await securityPageFor(users.get(user).id));
  },

  'POST /security/totp/start': async (_q, response, user) => {
    if (!user) return redirectToLogin(response);
    const enrollment = await mailcode.enrollTotp({ userRef: users.get(user).id, accountName: user });
    enrollments.set(user, enrollment);
    send(response, 200, page('Set up your authenticator app', totpSetupForm(enrollment)));
  },

  'POST /security/totp/confirm': async (request, response, user) => {
    if (!user) return redirectToLogin(response);
    const { enrollment = '', code = '' } = await readForm(request);
    const pending = enrollments.get(user);
    try {
      const { recoveryCodes } = await mailcode.confirmTotp(enrollment, code.trim());
      enrollments.delete(user);
      send(response, 200, page('Authenticator app activated', recoveryCodesPage(recoveryCodes)));
    } catch (error) {
      if (!(error instanceof InvalidCodeError) || pending?.enrollmentId !== enrollment) {
        return send(
          response,
          200,
          page(
            'Security',
            securityPage({
              status: await mailcode.totpStatus(users.get(user).id),
              notice: 'The setup expired. Please start again.',
            }),
          ),
        );
      }
      // The same QR code and key again: the enrolment stays valid for ten minutes.
      send(response, 200, page('Set up your authenticator app', totpSetupForm({ ...pending, error: explain(error) })));
    }
  },

  // A client that requires a second factor: enrolment right after the email code, before
  // the account opens (openAccount).
  'POST /enrol/confirm': async (request, response) => {
    const { flow = '', code = '' } = await readForm(request);
    const state = flows.get(flow);
    if (state?.purpose !== 'enrol')
      return send(response, 400, page('Start again', '<p><a href="/login">Start again</a>.</p>'));
    try {
      const { recoveryCodes } = await mailcode.confirmTotp(state.enrollment.enrollmentId, code.trim());
      state.enrolled = true;
      send(response, 200, page('Authenticator app activated', recoveryCodesPage(recoveryCodes, { flowId: flow })));
    } catch (error) {
      if (!(error instanceof InvalidCodeError))
        return startRequiredEnrollment(response, state.email, state.userRef, 'The setup expired. Scan this new code.');
      send(
        response,
        200,
        page(
          'Set up your authenticator app',
          totpSetupForm({ ...state.enrollment, flowId: flow, required: true, error: explain(error) }),
        ),
      );
    }
  },

  'POST /enrol/done': async (request, response) => {
    const { flow = '' } = await readForm(request);
    const state = flows.get(flow);
    if (state?.purpose !== 'enrol' || !state.enrolled)
      return send(response, 400, page('Start again', '<p><a href="/login">Start again</a>.</p>'));
    endFlow(flow);
    signIn(response, state.email, 'Signed in');
  },

  'POST /security/recovery-codes': async (_q, response, user) => {
    if (!user) return redirectToLogin(response);
    const { recoveryCodes } = await mailcode.regenerateRecoveryCodes(users.get(user).id);
    send(response, 200, page('New recovery codes', recoveryCodesPage(recoveryCodes)));
  },
};

/** What went wrong with a continue link, in the words the page uses (pages.mjs linkProblem). */
function linkTrouble(error) {
  if (error instanceof DifferentBrowserError || error instanceof InvalidRequestError) return 'elsewhere';
  if (error instanceof LinkNotFoundError || error instanceof AlreadyVerifiedError) return 'used';
  if (error instanceof VerificationCanceledError) return 'canceled';
  if (error instanceof CodeExpiredError || error instanceof TooManyAttemptsError) return 'expired';
  if (error instanceof RateLimitedError) return 'busy';
  throw error;
}

function endFlow(flowId) {
  flowOfVerification.delete(flows.get(flowId)?.verificationId);
  flows.delete(flowId);
}

/** A mail event from mailcode: the page of the flow it is about learns of it at once. */
/**
 * The company's mail server refuses the person's address for good: they are no longer a
 * member, so their account is closed to sign-ins (and their signed-in pages say so).
 */
function disableAccount(userRef) {
  for (const user of users.values()) if (user.id === userRef) user.disabled = true;
}

const disabledPage = () =>
  page(
    'Account disabled',
    '<p role="alert" class="error" id="account-disabled">This account is disabled: mail to its company address is refused for good, so it no longer belongs to a member of the company.</p><p>If you are still with the company, contact support.</p>',
  );

function hearDelivery(message) {
  const notice = deliveryNotice(message);
  const flowId = flowOfVerification.get(message.data.subject);
  const state = flowId && flows.get(flowId);
  if (!notice || !state || state.verificationId !== message.data.subject) return;
  state.delivery = notice;
  for (const stream of watchers.get(flowId) ?? []) tellPage(stream, notice);
}

function tellPage(stream, notice) {
  stream.write(
    `event: delivery\ndata: ${JSON.stringify({ kind: notice?.kind ?? null, text: notice ? deliveryMessage(notice) : '' })}\n\n`,
  );
}

/**
 * The account opens here — unless the client requires an authenticator app
 * (`mailcode clients update … --second-factor required`) and this person has none yet:
 * then enrolment comes first, the way SSO portals force it at first sign-in.
 */
async function openAccount(response, email, title) {
  const userRef = users.get(email).id;
  const status = await mailcode.totpStatus(userRef);
  if (status.required && !status.enabled) return startRequiredEnrollment(response, email, userRef);
  signIn(response, email, title);
}

async function startRequiredEnrollment(response, email, userRef, error = '') {
  const enrollment = await mailcode.enrollTotp({ userRef, accountName: email });
  const flowId = randomBytes(16).toString('base64url');
  flows.set(flowId, { purpose: 'enrol', email, userRef, enrollment });
  send(
    response,
    200,
    page('Set up your authenticator app', totpSetupForm({ ...enrollment, flowId, required: true, error })),
  );
}

/**
 * Account → Security: the authenticator app, the passkeys (with the options for another,
 * when passkeys are on), the browsers trusted, a recovery by email under way.
 */
async function securityPageFor(userRef, notice = '', email = emailOf(userRef)) {
  const [status, recoveries, browsers, passkeys, registration] = await Promise.all([
    mailcode.totpStatus(userRef),
    mailcode.listRecoveries(userRef),
    mailcode.listTrustedBrowsers(userRef),
    mailcode.listPasskeys(userRef),
    mailcode.startPasskeyRegistration(userRef, { userName: email }).catch((error) => {
      if (error instanceof PasskeysNotSetUpError) return undefined;
      throw error;
    }),
  ]);
  const recovery = recoveries.find((r) => r.status === 'waiting' || r.status === 'code_sent');
  return page('Security', securityPage({ status, notice, recovery, browsers, passkeys, registration }));
}

/**
 * A trusted browser's sign-in: 'signed-in' (the token stood in; the new one is set),
 * 'prove-email' (the membership window passed: a mailed code first), or 'no' (ask the app).
 */
async function trustedSignIn(request, response, userRef) {
  const token = cookie(request, 'mc_trust');
  const secret = cookie(request, 'mc_browser');
  if (!token || !secret) return 'no';
  try {
    const signedIn = await mailcode.signInTrustedBrowser(userRef, { token, browserBinding: browserBinding(secret) });
    await verifySecondFactorAssertion(signedIn.assertion, { ...assertionOptions, userRef });
    addCookie(response, trustCookie(signedIn.token, 90 * 86400));
    return 'signed-in';
  } catch (error) {
    if (error instanceof EmailProofNeededError) return 'prove-email';
    if (!(error instanceof TrustedBrowserRefusedError)) throw error;
    addCookie(response, trustCookie('', 0));
    return 'no';
  }
}

function redirectToLogin(response) {
  response.writeHead(303, { location: '/login' });
  response.end();
}

function startTotpLogin(response, email, userRef) {
  const flowId = randomBytes(16).toString('base64url');
  flows.set(flowId, { purpose: 'totp', email, userRef });
  send(response, 200, page('Two-step verification', totpLoginForm({ flowId })));
}

async function switchTotpForm(request, response, recovery) {
  const { flow = '' } = await readForm(request);
  if (flows.get(flow)?.purpose !== 'totp')
    return send(response, 400, page('Start again', '<p><a href="/login">Start again</a>.</p>'));
  send(response, 200, page('Two-step verification', totpLoginForm({ flowId: flow, recovery })));
}

async function verify(request, response, purpose) {
  const { flow = '', code = '' } = await readForm(request);
  const state = flows.get(flow);
  if (!state || state.purpose !== purpose)
    return send(response, 400, page('Start again', '<p>This page has expired. <a href="/">Start again</a>.</p>'));
  try {
    const { assertion } = await mailcode.verifyCode({ verificationId: state.verificationId, code: code.trim() });
    // The portal trusts the signed assertion, checked with mailcode's public keys.
    const claims = await verifyAssertion(assertion, { ...assertionOptions, purpose, email: state.email });
    if (purpose === 'signup') {
      state.verified = true;
      return send(response, 200, page('Choose a password', passwordForm({ flowId: flow })));
    }
    endFlow(flow);
    await openAccount(response, claims.email, 'Signed in');
  } catch (error) {
    send(
      response,
      200,
      page(
        'Enter your code',
        codeForm({
          action: `/${purpose}/verify`,
          resendAction: '/resend',
          flowId: flow,
          email: state.email,
          resendAfter: state.resendAfter,
          error: explain(error),
        }),
      ),
    );
  }
}

function signIn(response, email, title) {
  const sid = randomBytes(24).toString('base64url');
  sessions.set(sid, email);
  send(
    response,
    200,
    page(
      title,
      `<p>Signed in as <strong>${escapeHtml(email)}</strong>.</p><p><a href="/security">Account → Security</a></p>`,
    ),
    { 'set-cookie': [...cookiesSetOn(response), `sid=${sid}; HttpOnly; SameSite=Lax; Path=/`] },
  );
}

function cookiesSetOn(response) {
  const set = response.getHeader('set-cookie');
  return Array.isArray(set) ? set : set ? [String(set)] : [];
}

const server = createServer(async (request, response) => {
  const sid = cookie(request, 'sid');
  // HEAD is GET without the body (Node leaves the body out): never a change either.
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  const handler = routes[`${method} ${new URL(request.url, 'http://portal').pathname}`];
  try {
    if (!handler) return send(response, 404, page('Not found', '<p><a href="/">Home</a></p>'));
    await handler(request, response, sid ? sessions.get(sid) : undefined);
  } catch (error) {
    if (error instanceof BodyTooLarge)
      return send(response, 413, page('Too much', '<p>That form was larger than any of ours.</p>'), {
        connection: 'close',
      });
    console.error(error);
    send(response, 500, page('Something went wrong', '<p>Please try again.</p>'));
  }
});
server.listen(Number(process.env.PORT ?? 4000), process.env.HOST ?? '127.0.0.1', () => {
  console.log(`example portal on http://${process.env.HOST ?? '127.0.0.1'}:${server.address().port}`);
});
