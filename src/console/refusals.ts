// What the console's forms say when a service refuses: the refusal in an operator's words,
// on the page the form came from, with a 400.
import { DomainError, refusalText } from '../shared/domain-error.js';

/** A refusal in an operator's words (the domain's detail, when it gives one), as a sentence. */
export function describeRefusal(error: DomainError): string {
  const text = refusalText(error.refusal);
  // A detail is the domain's own sentence; a bare kind ("verification not found") is made one.
  return text.charAt(0).toUpperCase() + text.slice(1) + ('detail' in error.refusal ? '' : '.');
}

/**
 * Runs a form's change, then shows the page again: with what it did, or — refused — with
 * why not, as a 400. Anything but a refusal goes on to the console's error handler.
 */
export async function afterChange(
  run: () => Promise<Record<string, unknown>>,
  show: (extra: Record<string, unknown>, status?: number) => Promise<unknown>,
): Promise<unknown> {
  let done: Record<string, unknown>;
  try {
    done = await run();
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return show({ error: describeRefusal(error) }, 400);
  }
  return show(done);
}
