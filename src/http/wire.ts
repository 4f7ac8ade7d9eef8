// Times on the wire are ISO 8601; the domain counts milliseconds.
export const iso = (ms: number): string => new Date(ms).toISOString();
