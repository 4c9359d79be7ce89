// `node healthcheck.mjs <url>`: exit 0 when the URL answers 2xx within 2 s, else 1. The image has
// no curl or wget; Docker's HEALTHCHECK and compose's healthcheck run this instead.
const url = process.argv[2];
if (!url) {
  console.error('usage: node healthcheck.mjs http://127.0.0.1:<port>/readyz');
  process.exit(2);
}
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`${url}: ${error.message}`);
  process.exit(1);
}
