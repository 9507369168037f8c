// Preloaded with `node --require` (test/cli/startup.test.ts): prints `LOADED <what>` on stderr for
// every module the process loads: ESM imports through a resolve hook (in its own thread), CommonJS
// requires (also those made with createRequire) by wrapping Module.prototype.require.
const Module = require('node:module');
const { writeSync } = require('node:fs');
const hook = `
import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  writeSync(2, 'LOADED ' + result.url + '\\n');
  return result;
}`;
Module.register(`data:text/javascript,${encodeURIComponent(hook)}`);
const original = Module.prototype.require;
Module.prototype.require = function traced(id) {
  writeSync(2, `LOADED ${id}\n`);
  return original.apply(this, arguments);
};
