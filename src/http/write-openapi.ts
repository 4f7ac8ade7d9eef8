// `npm run openapi`: writes openapi.yaml from the schemas (see openapi.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openapiPath, packageRoot } from '../shared/paths.js';
import { openapiYaml } from './openapi.js';

export const packageVersion = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/dist\//, '/dist/'))) {
  writeFileSync(openapiPath, openapiYaml(packageVersion));
  console.log(`wrote ${openapiPath}`);
}
