// An example portal that uses mailcode through `mailcode/client` only: sign-up proves the
// address before a password is set, and every returning login asks for a mailed code.
//
//   MAILCODE_URL=http://127.0.0.1:3000 MAILCODE_API_KEY=mc_… MAILCODE_CLIENT_ID=cl_… \
//   MAILCODE_ISSUER=http://localhost:3000 PORT=4000 node examples/portal/server.mjs
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import {
  CodeExpiredError,
  DomainNotAllowedError,
  InvalidCodeError,
  InvalidRequestError,
  MailcodeClient,
  MemoryReplayStore,
  RateLimitedError,
  TooManyAttemptsError,
  verifyAssertion,
} from 'mailcode/client';
import { codeForm, emailForm, escapeHtml, page, passwordForm } from './pages.mjs';

const mailcode = new MailcodeClient({ baseUrl: process.env.MAILCODE_URL, apiKey: process.env.MAILCODE_API_KEY });
const assertionOptions = {
  issuer: process.env.MAILCODE_ISSUER ?? process.env.MAILCODE_URL, // mailcode's PUBLIC_URL
  audience: process.env.MAILCODE_CLIENT_ID,
  // The keys are fetched where the portal reaches mailcode, which need not be PUBLIC_URL.
  jwksUrl: `${process.env.MAILCODE_URL}/.well-known/jwks.json`,
  replayStore: new MemoryReplayStore(),
};

// In memory: this is an example, not a user database.
const users = new Map(); // email → { salt, hash }
const flows = new Map(); // flow id → { purpose, email, verificationId, resendAfter, verified }
const sessions = new Map(); // session id → email

const hashPassword = (password, salt) => scryptSync(password, salt, 32);

async function readForm(request) {
  let body = '';
  for await (const chunk of request) {
    body += chunk;
    if (body.length > 10_000) throw new Error('form too large');
  }
  return Object.fromEntries(new URLSearchParams(body));
}

function send(response, status, html, headers = {}) {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
  response.end(html);
}

/** The message a person should see for each thing mailcode can say no to. */
function explain(error) {
  if (error instanceof DomainNotAllowedError) return 'Please use your company email address. Personal and disposable addresses cannot be used here.';
  if (error instanceof InvalidRequestError) return 'That does not look like an email address.';
  if (error instanceof RateLimitedError) return `Too many codes were requested. Please try again in ${error.retryAfter} seconds.`;
  if (error instanceof InvalidCodeError) {
    return error.attemptsRemaining > 0
      ? `That code is not right. ${error.attemptsRemaining} ${error.attemptsRemaining === 1 ? 'attempt' : 'attempts'} left.`
      : 'That code is not right, and that was the last attempt. Send a new code.';
  }
  if (error instanceof TooManyAttemptsError) return 'Too many wrong codes. Send a new code to try again.';
  if (error instanceof CodeExpiredError) return 'This code has expired. Send a new code.';
  throw error;
}

async function startFlow(response, purpose, email, title) {
  const sent = await mailcode.sendCode({ email, purpose });
  const flowId = randomBytes(16).toString('base64url');
  flows.set(flowId, { purpose, email: sent.email, verificationId: sent.verificationId, resendAfter: sent.resendAfter });
  send(response, 200, page(title, codeForm({ action: `/${purpose}/verify`, resendAction: '/resend', flowId, email: sent.email, resendAfter: sent.resendAfter })));
}

const routes = {
  'GET /': (_q, response, user) =>
    send(response, 200, page('Acme Portal', user ? `<p>Signed in as <strong>${escapeHtml(user)}</strong>.</p>` : '<p><a href="/signup">Create an account</a> or <a href="/login">log in</a>.</p>')),

  'GET /signup': (_q, response) => send(response, 200, page('Create your account', emailForm({ action: '/signup', button: 'Send verification code' }))),

  'POST /signup': async (request, response) => {
    const { email = '' } = await readForm(request);
    try {
      await startFlow(response, 'signup', email, 'Check your email');
    } catch (error) {
      send(response, 200, page('Create your account', emailForm({ action: '/signup', button: 'Send verification code', error: explain(error), email })));
    }
  },

  'GET /login': (_q, response) => send(response, 200, page('Log in', emailForm({ action: '/login', button: 'Log in', withPassword: true }))),

  'POST /login': async (request, response) => {
    const { email = '', password = '' } = await readForm(request);
    const user = users.get(email.trim().toLowerCase());
    if (!user || !timingSafeEqual(user.hash, hashPassword(password, user.salt))) {
      return send(response, 200, page('Log in', emailForm({ action: '/login', button: 'Log in', withPassword: true, email, error: 'Wrong email or password.' })));
    }
    try {
      await startFlow(response, 'login', email, 'Enter your code');
    } catch (error) {
      send(response, 200, page('Log in', emailForm({ action: '/login', button: 'Log in', withPassword: true, email, error: explain(error) })));
    }
  },

  'POST /resend': async (request, response) => {
    const { flow = '' } = await readForm(request);
    const state = flows.get(flow);
    if (!state) return send(response, 400, page('Start again', '<p>This page has expired. <a href="/">Start again</a>.</p>'));
    let error = '';
    try {
      const sent = await mailcode.sendCode({ email: state.email, purpose: state.purpose });
      Object.assign(state, { verificationId: sent.verificationId, resendAfter: sent.resendAfter });
    } catch (caught) {
      error = explain(caught);
    }
    send(response, 200, page('Enter your code', codeForm({ action: `/${state.purpose}/verify`, resendAction: '/resend', flowId: flow, email: state.email, resendAfter: state.resendAfter, error })));
  },

  'POST /signup/verify': (request, response) => verify(request, response, 'signup'),
  'POST /login/verify': (request, response) => verify(request, response, 'login'),

  'POST /signup/password': async (request, response) => {
    const { flow = '', password = '' } = await readForm(request);
    const state = flows.get(flow);
    if (!state?.verified || state.purpose !== 'signup') return send(response, 400, page('Start again', '<p><a href="/signup">Start again</a>.</p>'));
    if (password.length < 8) return send(response, 200, page('Choose a password', passwordForm({ flowId: flow, error: 'Use at least 8 characters.' })));
    const salt = randomBytes(16);
    users.set(state.email, { salt, hash: hashPassword(password, salt) });
    flows.delete(flow);
    signIn(response, state.email, 'Account created');
  },
};

async function verify(request, response, purpose) {
  const { flow = '', code = '' } = await readForm(request);
  const state = flows.get(flow);
  if (!state || state.purpose !== purpose) return send(response, 400, page('Start again', '<p>This page has expired. <a href="/">Start again</a>.</p>'));
  try {
    const { assertion } = await mailcode.verifyCode({ verificationId: state.verificationId, code: code.trim() });
    // The portal trusts the signed assertion, checked with mailcode's public keys.
    const claims = await verifyAssertion(assertion, { ...assertionOptions, purpose, email: state.email });
    if (purpose === 'signup') {
      state.verified = true;
      return send(response, 200, page('Choose a password', passwordForm({ flowId: flow })));
    }
    flows.delete(flow);
    signIn(response, claims.email, 'Signed in');
  } catch (error) {
    send(response, 200, page('Enter your code', codeForm({ action: `/${purpose}/verify`, resendAction: '/resend', flowId: flow, email: state.email, resendAfter: state.resendAfter, error: explain(error) })));
  }
}

function signIn(response, email, title) {
  const sid = randomBytes(24).toString('base64url');
  sessions.set(sid, email);
  send(response, 200, page(title, `<p>Signed in as <strong>${escapeHtml(email)}</strong>.</p>`), {
    'set-cookie': `sid=${sid}; HttpOnly; SameSite=Lax; Path=/`,
  });
}

const server = createServer(async (request, response) => {
  const sid = /(?:^|;\s*)sid=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
  const handler = routes[`${request.method} ${new URL(request.url, 'http://portal').pathname}`];
  try {
    if (!handler) return send(response, 404, page('Not found', '<p><a href="/">Home</a></p>'));
    await handler(request, response, sid ? sessions.get(sid) : undefined);
  } catch (error) {
    console.error(error);
    send(response, 500, page('Something went wrong', '<p>Please try again.</p>'));
  }
});
server.listen(Number(process.env.PORT ?? 4000), process.env.HOST ?? '127.0.0.1', () => {
  console.log(`example portal on http://${process.env.HOST ?? '127.0.0.1'}:${server.address().port}`);
});
