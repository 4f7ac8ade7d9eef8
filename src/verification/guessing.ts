// The worst case for a code guesser, computed from the configured limits, so the number
// the README states is the number the defaults give.
import type { Config } from '../shared/config.js';

export interface GuessingBound {
  /** Code comparisons an attacker can make against one address in a day, at most. */
  guessesPerDay: number;
  /** The chance that at least one of them hits. */
  probabilityPerDay: number;
}

/**
 * Every guess is an attempt on a verification; a verification allows MAX_ATTEMPTS attempts,
 * and each attempt is compared with at most `codesKept` codes, but each of those codes took
 * a mail. So one mail buys at most MAX_ATTEMPTS comparisons, and mails per address per day
 * are capped (by the daily limit, or 24 times the hourly one). Sends also pause after
 * WRONG_CODES_PER_EMAIL_HOUR wrong codes, which only lowers the bound further.
 */
export function worstCaseGuessing(
  config: Pick<Config, 'MAX_ATTEMPTS' | 'SENDS_PER_EMAIL_DAY' | 'SENDS_PER_EMAIL_HOUR'>,
  codeLength = 6,
): GuessingBound {
  const mailsPerDay = Math.min(config.SENDS_PER_EMAIL_DAY, 24 * config.SENDS_PER_EMAIL_HOUR);
  const guessesPerDay = mailsPerDay * config.MAX_ATTEMPTS;
  const perGuess = 1 / 10 ** codeLength;
  return { guessesPerDay, probabilityPerDay: 1 - (1 - perGuess) ** guessesPerDay };
}

/** "1 in 10,000" style, for people. */
export function oneIn(probability: number): string {
  return `1 in ${Math.round(1 / probability).toLocaleString('en-US')}`;
}
