// docker-compose.scale.yml cannot be started here (no Docker engine); what can drift
// without anyone noticing is checked instead: the replicas share one configuration that
// mailcode accepts, on PostgreSQL and Redis, and the proxy sends to every replica.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { loadConfig } from '../../src/shared/config.js';
import { packageRoot } from '../../src/shared/paths.js';

interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
}

const compose = parse(readFileSync(join(packageRoot, 'docker-compose.scale.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const replicas = Object.entries(compose.services).filter(([, s]) => s.build === '.');

t.test('two mailcode replicas with one configuration mailcode accepts', async (t) => {
  t.equal(replicas.length, 2);
  const [first, second] = replicas.map(([, s]) => s.environment!);
  t.same(first, second, 'the same environment on both');
  const config = loadConfig({ ...first, CODE_SECRET: 'x'.repeat(64) });
  t.match(config.DATABASE_URL, /^postgres:\/\/[^@]+@postgres:5432\//, 'PostgreSQL, the compose service');
  t.match(config.REDIS_URL, /^redis:\/\/redis:6379/, 'Redis, the compose service');
  t.match(config.SMTP_URL, /^smtp:\/\/mailpit:1025/, 'Mailpit');
  for (const name of ['postgres', 'redis', 'mailpit', 'proxy'])
    t.ok(compose.services[name]?.image, `${name} is a service`);
});

t.test('the proxy on :3000 sends to every replica', async (t) => {
  const proxy = compose.services.proxy!;
  t.same(proxy.ports, ['3000:3000']);
  const mounted = proxy.volumes!.map((v) => v.split(':')[0]!);
  const conf = readFileSync(join(packageRoot, mounted[0]!), 'utf8');
  for (const [name] of replicas) t.match(conf, new RegExp(`server ${name}:3000`), `${name} is upstream`);
  t.match(conf, /listen 3000;/);
});
