// The portal's pages: plain HTML forms that work on a phone and with a screen reader.
export const escapeHtml = (value) =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

export function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Acme Portal</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f3f4f6; color: #1f2328; }
  main { max-width: 420px; margin: 0 auto; padding: 32px 20px; }
  .card { background: #fff; border: 1px solid #d8dce1; border-radius: 8px; padding: 24px; }
  h1 { font-size: 1.4rem; margin: 0 0 16px; }
  label { display: block; font-weight: 600; margin: 16px 0 6px; }
  input { width: 100%; box-sizing: border-box; font-size: 1.1rem; padding: 12px; border: 1px solid #8c959f; border-radius: 6px; }
  input[name=code] { letter-spacing: 0.4em; font-family: ui-monospace, monospace; font-size: 1.5rem; text-align: center; }
  button { width: 100%; margin-top: 20px; padding: 12px; font-size: 1rem; border: 0; border-radius: 6px; background: #1f6feb; color: #fff; cursor: pointer; }
  button.secondary { background: #eef1f4; color: #1f2328; margin-top: 12px; }
  button:disabled { opacity: 0.6; cursor: default; }
  .error { background: #ffebe9; border: 1px solid #ff8182; padding: 12px; border-radius: 6px; margin-bottom: 12px; }
  .note { color: #59636e; font-size: 0.95rem; }
  nav a { margin-right: 16px; }
</style>
</head>
<body>
<main>
<nav><a href="/">Acme Portal</a><a href="/signup">Sign up</a><a href="/login">Log in</a></nav>
<div class="card">
<h1>${escapeHtml(title)}</h1>
${body}
</div>
</main>
</body>
</html>`;
}

export const errorBox = (message) => (message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : '');

export function emailForm({
  action,
  button,
  error = '',
  email = '',
  withPassword = false,
  passkeyOptions,
  autofill = true,
}) {
  // With passkey options the address field offers the person's passkeys as they type
  // (the browser's autofill: `webauthn` in autocomplete), and a button asks for one.
  const autocomplete = passkeyOptions ? 'username webauthn' : 'email';
  return `${errorBox(error)}
<form method="post" action="${action}">
<label for="email">Work email</label>
<input id="email" name="email" type="email" autocomplete="${autocomplete}" required value="${escapeHtml(email)}">
${withPassword ? '<label for="password">Password</label>\n<input id="password" name="password" type="password" autocomplete="current-password" required>' : ''}
<button type="submit">${escapeHtml(button)}</button>
</form>${passkeyOptions ? passkeySignIn(passkeyOptions, autofill) : ''}`;
}

/**
 * WebAuthn options rendered with the page, and the browser's answer posted back in a form.
 * The ceremony starts straight from the click — the options are here already — because
 * Safari drops a ceremony started after a fetch.
 */
const ceremony = (id, options, action, fields = '') => `
<script type="application/json" id="${id}-options">${JSON.stringify(options).replace(/</g, '\\u003c')}</script>
<form method="post" action="${action}" id="${id}-form" hidden>${fields}<input type="hidden" name="response"></form>`;

const passkeyScripts = '<script src="/assets/webauthn.js"></script>\n<script src="/assets/passkeys.js"></script>';

/** After a passkey was refused the autofill does not start again on its own: the person picks the button or the password. */
function passkeySignIn(options, autofill) {
  return `
<p class="note" id="passkey-error" role="alert" hidden></p>
<button class="secondary" type="button" id="passkey-sign-in" data-autofill="${autofill ? 'yes' : 'no'}">Sign in with a passkey</button>
${ceremony('passkey-sign-in', options, '/login/passkey')}
${passkeyScripts}`;
}

/** Account → Security: the person's passkeys (renamed, removed here) and "Add a passkey". */
function passkeyList(passkeys = [], registration) {
  const day = (iso) => (iso ? new Date(iso).toISOString().slice(0, 10) : 'never');
  const items = passkeys
    .map(
      (
        p,
        i,
      ) => `<li><strong>${escapeHtml(p.name)}</strong>${p.provider && p.provider !== p.name ? ` (${escapeHtml(p.provider)})` : ''}: added ${escapeHtml(day(p.createdAt))}, last used ${escapeHtml(day(p.lastUsedAt))}
<form method="post" action="/security/passkeys/rename"><input type="hidden" name="passkey" value="${escapeHtml(p.id)}"><label for="passkey-name-${i}">New name for ${escapeHtml(p.name)}</label><input id="passkey-name-${i}" name="name" maxlength="100" required value="${escapeHtml(p.name)}"><button class="secondary" type="submit">Rename</button></form>
<form method="post" action="/security/passkeys/remove"><input type="hidden" name="passkey" value="${escapeHtml(p.id)}"><button class="secondary" type="submit" aria-label="Remove ${escapeHtml(p.name)}">Remove</button></form></li>`,
    )
    .join('');
  return `<h2>Passkeys</h2>
<p class="note">A passkey signs you in with your fingerprint, face or device PIN, and cannot be used on a look-alike site.</p>
${items ? `<ul id="passkeys">${items}</ul>` : '<p id="passkeys-none">No passkeys yet.</p>'}
${
  registration
    ? `<p class="note" id="passkey-error" role="alert" hidden></p>
<button type="button" id="passkey-add">Add a passkey</button>
${ceremony('passkey-add', registration, '/security/passkeys/add')}
${passkeyScripts}`
    : ''
}`;
}

/** a…@acme.example: enough for a person to recognise, not enough to read off a screen. */
export function maskAddress(email) {
  const [local, domain] = email.split('@');
  return `${local[0]}…@${domain}`;
}

export function codeForm({ action, resendAction, flowId, email, resendAfter, error = '' }) {
  const wait = Math.max(0, Math.ceil((Date.parse(resendAfter) - Date.now()) / 1000));
  return `${errorBox(error)}
<p id="delivery" class="error" role="alert" data-flow="${escapeHtml(flowId)}" hidden></p>
<p>We sent a code to <strong style="white-space:nowrap">${escapeHtml(maskAddress(email))}</strong>. It expires in 10 minutes.</p>
<form method="post" action="${action}">
<input type="hidden" name="flow" value="${escapeHtml(flowId)}">
<label for="code">Verification code</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus>
<button type="submit">Verify</button>
</form>
<form method="post" action="${resendAction}">
<input type="hidden" name="flow" value="${escapeHtml(flowId)}">
<button class="secondary" type="submit" id="resend" data-wait="${wait}"${wait > 0 ? ' disabled' : ''}>Send a new code${wait > 0 ? ` in ${wait} s` : ''}</button>
</form>
<p class="note">Didn't get it? Check your spam folder, or send a new code.</p>
<script>
  // The visible countdown until a new code may be sent.
  const button = document.getElementById('resend');
  let wait = Number(button.dataset.wait);
  const tick = () => {
    if (wait <= 0) { button.disabled = false; button.textContent = 'Send a new code'; return; }
    button.textContent = 'Send a new code in ' + wait + ' s';
    wait -= 1;
    setTimeout(tick, 1000);
  };
  tick();
  // What the mail server said about the code mail, as it happens (no reload).
  const notice = document.getElementById('delivery');
  new EventSource('/delivery?flow=' + encodeURIComponent(notice.dataset.flow)).addEventListener('delivery', (event) => {
    const { text } = JSON.parse(event.data);
    notice.textContent = text;
    notice.hidden = !text;
  });
</script>`;
}

/** What a person is told about their code mail (a DeliveryNotice from mailcode/client). */
export function deliveryMessage({ kind, reason }) {
  const why = reason ? ` (${reason})` : '';
  if (kind === 'refused') return `Your mail server refused the message${why}; check the address.`;
  if (kind === 'delayed')
    return `Your mail server has not accepted the message yet${why}. We keep trying; it can take a few minutes.`;
  if (kind === 'undelivered')
    return 'The message could not be delivered before the code expired. Check the address, then send a new code.';
  return '';
}

export function passwordForm({ flowId, error = '' }) {
  return `${errorBox(error)}
<p>Your address is confirmed. Choose a password to finish.</p>
<form method="post" action="/signup/password">
<input type="hidden" name="flow" value="${escapeHtml(flowId)}">
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required>
<button type="submit">Create account</button>
</form>`;
}

/** Account → Security: the multi-factor status and what can be done about it. */
/** A recovery by email under way, on Account → Security: when the app goes, and a way to stop it. */
function pendingRecovery(recovery) {
  if (!recovery) return '';
  const what =
    recovery.status === 'waiting'
      ? `your authenticator app will be removed on <strong>${escapeHtml(when(recovery.completesAt))}</strong>`
      : 'a recovery code was mailed to you and not entered yet';
  return `<div class="error" role="alert" id="pending-recovery"><p>A recovery of your account by email is under way: ${what}.</p>
<p>If you did not ask for it, cancel it now and change your mail password.</p>
<form method="post" action="/security/recovery/cancel"><input type="hidden" name="recovery" value="${escapeHtml(recovery.id)}"><button type="submit">Cancel the recovery</button></form></div>`;
}

/** The browsers that skip the app, each with a way to stop that. */
function trustedBrowserList(browsers = []) {
  if (browsers.length === 0) return '';
  const day = (iso) => new Date(iso).toISOString().slice(0, 10);
  const items = browsers
    .map(
      (b) =>
        `<li>${escapeHtml(b.label)}: trusted until ${escapeHtml(day(b.expiresAt))} <form method="post" action="/security/browsers/revoke" class="inline"><input type="hidden" name="browser" value="${escapeHtml(b.id)}"><button class="secondary" type="submit">Stop trusting</button></form></li>`,
    )
    .join('');
  return `<h2>Browsers that skip the app</h2>
<ul id="trusted-browsers">${items}</ul>
<form method="post" action="/security/browsers/revoke"><button class="secondary" type="submit">Stop trusting all of them</button></form>`;
}

export function securityPage({ status, notice = '', recovery, browsers, passkeys, registration }) {
  if (!status.enabled) {
    return `${notice ? `<p class="note" role="status">${escapeHtml(notice)}</p>` : ''}
<h2>Multi-factor authentication</h2>
<p>Off. With an authenticator app (Google Authenticator, Microsoft Authenticator, Authy, Duo…)
you give a code from your phone at every login.</p>
<form method="post" action="/security/totp/start"><button type="submit">Activate</button></form>
${passkeyList(passkeys, registration)}`;
  }
  const since = new Date(status.enabledSince).toISOString().slice(0, 10);
  return `${notice ? `<p class="note" role="status">${escapeHtml(notice)}</p>` : ''}
<h2>Multi-factor authentication</h2>
${pendingRecovery(recovery)}
<p id="mfa-status">On since ${escapeHtml(since)}: authenticator app. ${status.recoveryCodesLeft} recovery codes left.</p>
<form method="post" action="/security/recovery-codes"><button class="secondary" type="submit">Make new recovery codes</button></form>
<p class="note">Lost your phone? Use a recovery code, or recover by email at the next log in (the app is removed after a waiting period).</p>
${passkeyList(passkeys, registration)}
${trustedBrowserList(browsers)}`;
}

/** The QR code (an SVG made by mailcode), the secret for typing in, and the confirmation code. */
export function totpSetupForm({ enrollmentId, qrSvg, secret, error = '', flowId = '', required = false }) {
  const grouped = secret.match(/.{1,4}/g).join(' ');
  // Enrolment the portal requires before the account opens posts to its own flow.
  const action = flowId ? '/enrol/confirm' : '/security/totp/confirm';
  return `${errorBox(error)}
${required ? '<p id="required-note">Acme Portal requires an authenticator app. Set one up to open your account.</p>' : ''}
<ol>
<li>Open your authenticator app and add an account.</li>
<li>Scan this QR code:</li>
</ol>
<figure id="totp-qr" style="margin:0 auto;width:240px" aria-label="QR code for your authenticator app"><style>#totp-qr svg { display: block; width: 240px; height: 240px; }</style>${qrSvg}</figure>
<p>Can't scan it? Enter this key instead:</p>
<p><code id="totp-secret" style="font-size:1.05rem;word-spacing:0.3em">${escapeHtml(grouped)}</code></p>
<form method="post" action="${action}">
<input type="hidden" name="enrollment" value="${escapeHtml(enrollmentId)}">
${flowId ? `<input type="hidden" name="flow" value="${escapeHtml(flowId)}">` : ''}
<label for="code">Code from the app</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
<button type="submit">Confirm</button>
</form>`;
}

export function recoveryCodesPage(codes, { flowId = '' } = {}) {
  // After a required enrolment the account opens with the next click.
  const next = flowId
    ? `<form method="post" action="/enrol/done"><input type="hidden" name="flow" value="${escapeHtml(flowId)}"><button type="submit">I have saved them: open my account</button></form>`
    : '<p><a href="/security">Done</a></p>';
  return `<p>Keep these recovery codes somewhere safe. Each one logs you in once if you lose your phone. They are shown only now.</p>
<ul id="recovery-codes" style="font-family:ui-monospace,monospace;font-size:1.1rem;columns:2">
${codes.map((c) => `<li>${escapeHtml(c)}</li>`).join('\n')}
</ul>
${next}`;
}

/** The second step of a login for users with an authenticator app (or a recovery code). */
export function totpLoginForm({ flowId, error = '', recovery = false }) {
  const field = recovery
    ? `<label for="recoveryCode">Recovery code</label>
<input id="recoveryCode" name="recoveryCode" type="text" autocomplete="off" required>`
    : `<label for="code">Code from your authenticator app</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus>`;
  return `${errorBox(error)}
<form method="post" action="/login/totp">
<input type="hidden" name="flow" value="${escapeHtml(flowId)}">
${field}
<label class="check"><input type="checkbox" name="remember" value="yes" id="remember"> Remember this browser for 30 days</label>
<button type="submit">Verify</button>
</form>
<form method="post" action="/login/totp/${recovery ? 'app' : 'recovery'}">
<input type="hidden" name="flow" value="${escapeHtml(flowId)}">
<button class="secondary" type="submit">${recovery ? 'Use the authenticator app instead' : 'Use a recovery code'}</button>
</form>
<form method="post" action="/login/totp/lost">
<input type="hidden" name="flow" value="${escapeHtml(flowId)}">
<button class="secondary" type="submit" id="lost-phone">Lost your phone? Recover by email</button>
</form>`;
}

/** The mailed code that starts a recovery, and what will happen once it is right. */
export function recoveryCodeForm({ flowId, error = '' }) {
  return `${errorBox(error)}
<p>If your account has an authenticator app and a confirmed address, we mailed a code to that address.</p>
<p>Once you enter it, your authenticator app will be removed after a waiting period. Until then, signing in with the app cancels the recovery — so nobody who only reads your mail can take your account at once.</p>
<form method="post" action="/login/totp/lost/confirm">
<input type="hidden" name="flow" value="${escapeHtml(flowId)}">
<label for="code">Code from the recovery mail</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus>
<button type="submit">Recover my account</button>
</form>`;
}

const when = (iso) => `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** A recovery waiting for its end: when the app goes, and what happens until then. */
export function recoveryWaitingPage(recovery) {
  return `<p id="recovery-status" role="status">Your authenticator app will be removed on <strong>${escapeHtml(when(recovery.completesAt))}</strong>.</p>
<p>We mailed you a notice. If you find your phone before then, just sign in with the app: that cancels the recovery.</p>
<p>After that time, log in with your email and password: you will get a code by email and set up a new authenticator app.</p>
<p><a href="/login">Back to log in</a></p>`;
}

/**
 * The continue link's landing page: one button. The token is in the link's fragment, which
 * no server sees; the script copies it into the form, and nothing is sent until the click.
 */
export function continueForm() {
  return `<p>You opened the link from your code mail. Continue in this browser to finish.</p>
<form method="post" action="/verify-email">
<input type="hidden" name="token" id="token" value="">
<button type="submit">Continue to Acme Portal</button>
</form>
<p class="note">Or type the code from the same mail on the page where you asked for it.</p>
<script>
  document.getElementById('token').value = new URLSearchParams(location.hash.slice(1)).get('mc') || '';
</script>`;
}

/** A continue link that cannot sign this browser in: why, and what to do instead (title, body). */
export function linkProblem(trouble) {
  const again = '<p><a href="/login">Log in</a> or <a href="/signup">sign up</a> to get a new code.</p>';
  if (trouble === 'elsewhere') {
    return [
      'Use the browser where you started',
      '<p role="alert" class="error">This link works only in the browser where you asked for the code.</p><p>Open it there, or type the code from the same mail on the page where you started.</p>',
    ];
  }
  if (trouble === 'busy')
    return [
      'Try again shortly',
      '<p role="alert" class="error">Too many links were tried from here. Type the code from the mail instead, or try again later.</p>',
    ];
  if (trouble === 'canceled')
    return ['This sign-in was canceled', `<p role="alert" class="error">This link's sign-in was canceled.</p>${again}`];
  if (trouble === 'expired')
    return ['This link has expired', `<p role="alert" class="error">This link and its code have expired.</p>${again}`];
  return [
    'This link was already used',
    `<p role="alert" class="error">This link was already used, or a newer mail replaced it.</p>${again}`,
  ];
}
