// What a problem repeats of the request — a path, a member's name, a message — is bounded:
// an answer never grows with what the caller sent.
/** The longest piece of a request a problem repeats back (a path, a member's name): a 6 KB nesting is not worth a 6 KB answer. */
export const echoLimit = 120;
/** A piece of the request as a problem repeats it: at most `max` characters, the cut marked with an ellipsis. */
export function echoed(text: string, max = echoLimit): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
