// Domain names compared as DNS does: by whole labels, so notacme.example is not on acme.example.

/** Whether `name` is `domain` or one of its subdomains. */
/** Host names of this machine: where plain http is allowed outside production, and a cookie need not be Secure. */
export const loopbackHosts: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

export const onDomain = (name: string, domain: string): boolean => name === domain || name.endsWith(`.${domain}`);
