// The npm registry reachable here serves only some platforms' builds of packages such as @swc/core
// and unrs-resolver, so `npm install` leaves their other platforms out of package-lock.json and
// `npm ci` then refuses the lockfile as out of sync. This adds an optional stub entry for every
// optional dependency the lockfile lacks; `npm ci` skips them on this platform as it should.
// Run it after any `npm install` that changes the lockfile: `npm run lock:stub-platforms`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const entries = lock.packages;
let added = 0;
for (const [location, entry] of Object.entries(entries)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ''}node_modules/${name}`;
    if (entries[nested] || entries[`node_modules/${name}`]) continue;
    entries[`node_modules/${name}`] = { version, optional: true };
    added++;
  }
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`stubbed ${added} optional platform packages missing from package-lock.json`);
