// A client's relying party for passkeys, as operators set it (the CLI, the console) and the
// passkey ceremonies read it. A value that cannot work is refused, naming it (settings.ts).
import type { Client } from '../clients/model.js';
import { event, type RequestContext } from '../events/model.js';
import type { PasskeySettings } from './model.js';
import type { PasskeysPort } from './ports.js';
import { refuse } from './refusals.js';
import { checkPasskeySettings } from './settings.js';

/** What an operator gives; anything left out keeps its value (or its default, the first time). */
export type PasskeySettingsInput = Partial<Omit<PasskeySettings, 'clientId'>>;

const defaults = { alone: false, required: false, counterStrict: false };

export class PasskeySettingsService {
  constructor(
    private readonly port: Pick<PasskeysPort, 'settings' | 'saveSettings'>,
    private readonly options: { production: boolean; now: () => number },
  ) {}

  get(clientId: string): Promise<PasskeySettings | undefined> {
    return this.port.settings(clientId);
  }

  /** The client's relying party, or the refusal that says to set one up. */
  async of(client: Pick<Client, 'id'>): Promise<PasskeySettings> {
    const settings = await this.port.settings(client.id);
    if (!settings) throw refuse({ kind: 'passkeys_not_set_up' });
    return settings;
  }

  async setUp(client: Pick<Client, 'id'>, input: PasskeySettingsInput, context: RequestContext) {
    const current = await this.port.settings(client.id);
    const merged = { ...defaults, rpId: '', origins: [], ...current, ...input };
    if (!merged.rpId) throw refuse({ kind: 'invalid_request', detail: 'relying-party id: name one (--rp-id).' });
    const checked = checkPasskeySettings(merged, this.options.production);
    if (!checked.ok) throw refuse({ kind: 'invalid_request', detail: checked.reason });
    const settings: PasskeySettings = { ...checked.value, clientId: client.id };
    const { clientId: _, ...shown } = settings;
    const updated = event('client.updated', this.options.now(), { clientId: client.id, subject: client.id }, context, {
      changed: ['passkeys'],
      passkeys: shown,
    });
    await this.port.saveSettings(settings, [updated]);
    return settings;
  }
}
