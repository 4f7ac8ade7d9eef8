// Domain names compared as DNS does: by whole labels, so notacme.example is not on acme.example.

/** Whether `name` is `domain` or one of its subdomains. */
export const onDomain = (name: string, domain: string): boolean => name === domain || name.endsWith(`.${domain}`);
