/** `npm run docs:rules`: writes docs/rules.md from the rule registry (see scripts/rules-doc.ts). */
import { writeFileSync } from 'node:fs';
import { renderRulesDoc } from './rules-doc.js';

// Run from dist/scripts/: the repository root is two levels up.
const target = new URL('../../docs/rules.md', import.meta.url);
writeFileSync(target, renderRulesDoc());
console.log(`wrote ${target.pathname}`);
