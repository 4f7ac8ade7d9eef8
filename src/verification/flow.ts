// A flow is the rules of one request written as a generator: it yields the port operations
// it needs and receives their results. Written once, it runs two ways: synchronously inside
// one SQLite transaction (better-sqlite3 cannot await), or awaiting each operation where
// the database answers over a socket (PostgreSQL) — and against in-memory ports in tests.

/** An interface of operations, each taking one parameter object. */
export type Operations<O> = { [K in keyof O]: (params: never) => unknown };

type Params<O, K extends keyof O> = O[K] extends (params: infer P) => unknown ? P : never;
type Result<O, K extends keyof O> = O[K] extends (params: never) => infer R ? R : never;

export type Call<O> = { [K in keyof O & string]: { op: K; params: Params<O, K> } }[keyof O & string];

export type Flow<O, T> = Generator<Call<O>, T, unknown>;

/** The same operations, each answering through a promise. */
export type AsyncOperations<O> = { [K in keyof O]: (params: Params<O, K>) => Promise<Result<O, K>> };

/** The step function of a flow over O: `const state = yield* op('loadSendState', query)`. */
export function operations<O extends Operations<O>>() {
  return function* op<K extends keyof O & string>(
    name: K,
    params: Params<O, K>,
  ): Generator<Call<O>, Result<O, K>, unknown> {
    return (yield { op: name, params } as Call<O>) as Result<O, K>;
  };
}

export function runSync<O extends Operations<O>, T>(flow: Flow<O, T>, ops: O): T {
  let step = flow.next();
  while (!step.done) step = flow.next((ops[step.value.op] as unknown as (p: unknown) => unknown)(step.value.params));
  return step.value;
}

export async function runAsync<O extends Operations<O>, T>(flow: Flow<O, T>, ops: AsyncOperations<O>): Promise<T> {
  let step = flow.next();
  while (!step.done)
    step = flow.next(await (ops[step.value.op] as (p: unknown) => Promise<unknown>)(step.value.params));
  return step.value;
}
