/** Grouping and tables shared by the CPU and heap profile summaries. */

/** `node_modules/@slack/socket-mode/…` → `@slack/socket-mode`; `dist/src/fleet/x.js` → `src/fleet`. */
export function groupOf(url: string): string {
  if (url === '') return '(native / vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') === true ? `${rest[0]}/${rest[1] ?? ''}` : rest[0] ?? url;
  }
  if (url.startsWith('node:')) return url;
  const src = url.indexOf('/dist/');
  if (src >= 0) return url.slice(src + '/dist/'.length).split('/').slice(0, 2).join('/');
  return url;
}

/** A V8 call frame as `name path:line`, the path cut to what follows node_modules/ or dist/. */
export function frameLabel(frame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }): string {
  const where = frame.url === '' ? '' : ` ${frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${frame.lineNumber + 1}`;
  return `${frame.functionName || '(anonymous)'}${where}`;
}

/** The `top` largest entries as percent of `total` and amount (µs shown as ms, bytes as KB). */
export function table(map: Map<string, number>, total: number, top: number, unit: 'us' | 'B' = 'us'): string {
  const amount = (v: number): string => (unit === 'us' ? `${(v / 1000).toFixed(0).padStart(7)} ms` : `${(v / 1024).toFixed(0).padStart(7)} KB`);
  return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([key, v]) => `${((v / total) * 100).toFixed(1).padStart(5)} %  ${amount(v)}  ${key}`).join('\n');
}
