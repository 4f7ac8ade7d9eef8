// A browser's part in the console, over app.inject: it keeps the session cookie, reads the
// CSRF token off the page it was given, and signs an operator in the way a person does
// (the code from the mail, the authenticator set up at the first sign-in).
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import * as OTPAuth from 'otpauth';
import { totpParameters } from '../../src/totp/service.js';
import type { CapturingTransport, TestClock } from './build.js';

export class ConsoleBrowser {
  cookie: string | undefined;
  csrf: string | undefined;
  /** The operator's authenticator, once set up. */
  totp: OTPAuth.TOTP | undefined;
  constructor(
    private readonly app: FastifyInstance,
    private readonly host = '127.0.0.1',
  ) {}

  /** The console's other cookie (the CSRF secret), as a browser keeps it. */
  private readonly jar = new Map<string, string>();

  private remember(response: LightMyRequestResponse) {
    for (const set of [response.headers['set-cookie'] ?? []].flat()) {
      const [, name, value] = /^([^=]+)=([^;]*)/.exec(set)!;
      if (name === 'mailcode_console') this.cookie = value || undefined;
      else if (value) this.jar.set(name!, value);
      else this.jar.delete(name!);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1];
    if (token) this.csrf = token;
    return response;
  }

  private cookieHeader(): Record<string, string> {
    const all = [...(this.cookie ? [['mailcode_console', this.cookie]] : []), ...this.jar];
    return all.length ? { cookie: all.map(([n, v]) => `${n}=${v}`).join('; ') } : {};
  }

  async get(url: string) {
    return this.remember(
      await this.app.inject({ method: 'GET', url, headers: { host: this.host, ...this.cookieHeader() } }),
    );
  }

  /**
   * A form post, with the page's CSRF token unless the fields say otherwise. After the
   * address is posted, waits for what the sign-in does after its answer (an operator's
   * session and code), as a person does by reading the mail before the next step.
   */
  async post(url: string, fields: Record<string, string>, options: { csrf?: string | null } = {}) {
    const token = options.csrf === undefined ? this.csrf : options.csrf;
    const form = new URLSearchParams({ ...(token ? { _csrf: token } : {}), ...fields });
    const response = await this.app.inject({
      method: 'POST',
      url,
      headers: { host: this.host, 'content-type': 'application/x-www-form-urlencoded', ...this.cookieHeader() },
      payload: form.toString(),
    });
    if (url === '/console/sign-in') await this.app.mailcode.console?.signIn.settled();
    return this.remember(response);
  }

  /** Signs in with the mailed code, then the authenticator (set up now when there is none). */
  async signIn(email: string, mail: CapturingTransport, clock: TestClock) {
    await this.get('/console/sign-in');
    await this.post('/console/sign-in', { email });
    await this.app.mailcode.worker.runOnce();
    await this.get('/console/sign-in/code');
    const afterCode = await this.post('/console/sign-in/code', { code: mail.codeFor(email) });
    if (afterCode.headers.location === '/console/sign-in/enrol') {
      const page = await this.get('/console/sign-in/enrol');
      const secret = /id="totp-secret">([^<]+)</.exec(page.body)![1]!.replace(/\s/g, '');
      const enrollmentId = /name="enrollmentId" value="([^"]+)"/.exec(page.body)![1]!;
      this.totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), ...totpParameters });
      return this.signedIn(
        await this.post('/console/sign-in/enrol', {
          enrollmentId,
          code: this.totp.generate({ timestamp: clock.now() }),
        }),
      );
    }
    await this.get('/console/sign-in/authenticator');
    return this.signedIn(
      await this.post('/console/sign-in/authenticator', { code: this.totp!.generate({ timestamp: clock.now() }) }),
    );
  }

  /** The last step's answer; the signed-in session's CSRF token read off a page of it. */
  private async signedIn(last: LightMyRequestResponse) {
    if (this.cookie) {
      const csrf = this.csrf;
      const page = await this.get('/console/overview');
      if (page.statusCode !== 200) this.csrf = csrf;
    }
    return last;
  }
}
