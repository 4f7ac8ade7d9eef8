// `npm run openapi`: writes openapi.yaml from the schemas (see openapi.ts).
import { writeFileSync } from 'node:fs';
import { openapiPath, packageVersion } from '../shared/paths.js';
import { openapiYaml } from './openapi.js';

writeFileSync(openapiPath, openapiYaml(packageVersion));
console.log(`wrote ${openapiPath}`);
