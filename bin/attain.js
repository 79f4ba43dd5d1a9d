#!/usr/bin/env node
// The package's bin: runs the compiled CLI (npm install builds it through the `prepare` script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'attain is not built yet: run `npm run build` in the package folder (npm install does it through `prepare`).\n',
  );
  process.exit(2);
}
// Output piped into a reader that stopped early (`attain status | head`): stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
