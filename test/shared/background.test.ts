// The one loop every background job runs in: a pass that throws never ends it, it backs off
// (one to five seconds), says so once when a job starts failing and once when it runs again.
import t from 'tap';
import { failureBackoffMs, JobLoop, type BackgroundJob } from '../../src/shared/background.js';

t.test('the wait after failed passes grows from one second to five, no further', async (t) => {
  t.same([1, 2, 3, 4, 10].map(failureBackoffMs), [1_000, 2_000, 4_000, 5_000, 5_000]);
});

t.test('a job whose passes throw keeps running, and is reported failing once and recovered once', async (t) => {
  let passes = 0;
  const job: BackgroundJob = {
    name: 'flaky',
    idleMs: 10,
    async pass() {
      passes++;
      if (passes <= 2) throw Object.assign(new Error('the database system is shutting down'), { code: '57P01' });
      return false;
    },
  };
  const failed: number[] = [];
  const recovered: number[] = [];
  const loop = new JobLoop(job, {
    failed: (_job, _error, failures) => void failed.push(failures),
    recovered: (_job, failures) => void recovered.push(failures),
  });
  loop.start();
  // Two failures (1 s, then 2 s of backoff), then passes every 10 ms.
  const deadline = Date.now() + 6_000;
  while (passes < 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  await loop.stop();
  t.ok(passes >= 5, `the loop went on after its failures (${passes} passes)`);
  t.same(failed, [1, 2], 'each failed pass reported with how many in a row');
  t.same(recovered, [2], 'recovery reported once, after two failures');
});

t.test('a rejected promise of a pass never reaches the process', async (t) => {
  let unhandled = false;
  const onUnhandled = () => (unhandled = true);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => void process.off('unhandledRejection', onUnhandled));
  const loop = new JobLoop(
    { name: 'broken', idleMs: 10, pass: async () => Promise.reject(new Error('bug')) },
    { failed: () => {}, recovered: () => {} },
  );
  loop.start();
  await new Promise((resolve) => setTimeout(resolve, 200));
  await loop.stop();
  t.notOk(unhandled);
});
