// The DNS a client's mail needs, and how to tell, record by record, whether it is there:
// the DKIM keys (TXT), the SPF of the envelope domain, a DMARC record to start from, and the
// MX that brings bounces back. Resolving is the caller's (a Lookup); the judging is here.

export type RecordKind = 'dkim' | 'spf' | 'dmarc' | 'mx';

export interface DnsRecord {
  kind: RecordKind;
  type: 'TXT' | 'MX';
  name: string;
  value: string;
  /** What the record is for, in a few words. */
  why: string;
}

/** What a resolver answers for a name: TXT records (their strings joined) or MX exchanges. */
export type Lookup = (type: 'TXT' | 'MX', name: string) => Promise<string[]>;

export type Verdict = 'published' | 'missing' | 'different';

export interface Checked extends DnsRecord {
  verdict: Verdict;
  /** What was found instead, when different. */
  found: string[];
}

const squeeze = (s: string) => s.replace(/\s+/g, '').toLowerCase();

/** The answers of one record's kind, and whether one of them is what it should be. */
function judge(record: DnsRecord, answers: string[]): { verdict: Verdict; found: string[] } {
  switch (record.kind) {
    case 'dkim': {
      const keys = answers.filter((a) => /(^|;)\s*p=/i.test(a) || /v=dkim1/i.test(a));
      const want = squeeze(record.value.slice(record.value.indexOf('p=')));
      if (keys.some((a) => squeeze(a).includes(want))) return { verdict: 'published', found: [] };
      return keys.length ? { verdict: 'different', found: keys } : { verdict: 'missing', found: [] };
    }
    case 'spf': {
      const spf = answers.filter((a) => /^v=spf1(\s|$)/i.test(a.trim()));
      const mechanism = squeeze(record.value.split(/\s+/)[1] ?? '');
      if (spf.some((a) => squeeze(a).includes(mechanism))) return { verdict: 'published', found: [] };
      return spf.length ? { verdict: 'different', found: spf } : { verdict: 'missing', found: [] };
    }
    case 'dmarc': {
      // Any DMARC policy is the domain's to choose: p=none is where to start, not a must.
      const dmarc = answers.filter((a) => /^v=dmarc1\s*(;|$)/i.test(a.trim()));
      return dmarc.length ? { verdict: 'published', found: [] } : { verdict: 'missing', found: [] };
    }
    case 'mx': {
      const want = record.value.split(/\s+/).pop()!.replace(/\.$/, '').toLowerCase();
      if (answers.some((a) => a.replace(/\.$/, '').toLowerCase() === want)) return { verdict: 'published', found: [] };
      return answers.length ? { verdict: 'different', found: answers } : { verdict: 'missing', found: [] };
    }
  }
}

/** Each record with its verdict; a name that does not resolve is missing, not an error. */
export async function checkRecords(records: DnsRecord[], lookup: Lookup): Promise<Checked[]> {
  return Promise.all(
    records.map(async (record) => {
      const answers = await lookup(record.type, record.name).catch((error: NodeJS.ErrnoException) => {
        if (['ENOTFOUND', 'ENODATA', 'ENONAME', 'NXDOMAIN'].includes(String(error.code))) return [];
        throw error;
      });
      return { ...record, ...judge(record, answers) };
    }),
  );
}
