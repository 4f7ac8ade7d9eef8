// Markup the console builds as a string — the charts' SVG, a form's reason box with its
// error — has every value in it escaped, the one way (Eta escapes what templates print).
export const escapeMarkup = (text: unknown) => String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
