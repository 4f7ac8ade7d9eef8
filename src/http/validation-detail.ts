// What a request got wrong, in one sentence, from ajv's errors. ajv reports an either/or
// (anyOf) as the first error of every branch and then "must match a schema in anyOf",
// which names the branch the caller did not mean beside the one it did. The caller's own
// members choose the branch: one that fails for a member the body lacks (required) is not
// the one meant, nor, while another fits, one that fails for a member it does not take. A
// schema may say in words what it expects (`x-expected`), which reads better than a pattern.
import { echoed } from './echo.js';

/** The annotation a schema carries to say what it expects, e.g. "six digits (0–9), like 042917". */
export const expectedWords = 'x-expected';

/** What an ajv error holds (with `verbose`, the schema it failed). */
export interface AjvError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  message?: string;
  params?: Record<string, unknown>;
  parentSchema?: Record<string, unknown>;
}

const lacks = (e: AjvError, at: string) => e.keyword === 'required' && e.instancePath === at;
const hasUnknown = (e: AjvError, at: string) => e.keyword === 'additionalProperties' && e.instancePath === at;

function explain(errors: AjvError[]): AjvError {
  const either = errors.find((e) => e.keyword === 'anyOf');
  if (!either) return errors[0]!;
  const prefix = `${either.schemaPath}/`;
  const branches = new Map<string, AjvError[]>();
  for (const e of errors) {
    if (!e.schemaPath.startsWith(prefix)) continue;
    const branch = e.schemaPath.slice(prefix.length).split('/')[0]!;
    branches.set(branch, [...(branches.get(branch) ?? []), e]);
  }
  const at = either.instancePath;
  // A branch the body has every member of, and no stranger: the one meant. Failing that, a
  // branch the body has every member of, beside one it does not take.
  const complete = [...branches.values()].filter((b) => !b.some((e) => lacks(e, at)));
  const meant = complete.filter((b) => !b.some((e) => hasUnknown(e, at)));
  if (meant.length === 1) return explain(meant[0]!);
  return meant.length === 0 && complete.length === 1 ? explain(complete[0]!) : either;
}

/** "code must be six digits …" for `/code` (the caller adds "body"); what it repeats of the request is bounded. */
export function validationDetail(errors: AjvError[]): string {
  const explained = explain(errors);
  const error = { ...explained, instancePath: echoed(explained.instancePath) };
  const words = error.parentSchema?.[expectedWords];
  if (error.keyword === 'enum' && Array.isArray(error.params?.allowedValues))
    return `${error.instancePath} must be one of: ${error.params.allowedValues.join(', ')}`;
  if (error.keyword === 'additionalProperties')
    return `${error.instancePath} has a member it does not take: "${echoed(String(error.params?.additionalProperty))}"`;
  // A wrong type is said as ajv says it ("must be string"): 123456 is six digits, but no string.
  return `${error.instancePath} ${typeof words === 'string' && error.keyword !== 'type' ? `must be ${words}` : (error.message ?? 'is not valid')}`;
}
