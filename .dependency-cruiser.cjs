/** The layering of DESIGN.md, enforced: `npm run lint:deps` (run by .ci/run). */
module.exports = {
  forbidden: [
    { name: 'fleet-not-commands', severity: 'error', comment: 'fleet/ and commands/ meet only in slack/types.ts',
      from: { path: '^src/fleet/' }, to: { path: '^src/commands/' } },
    { name: 'commands-not-fleet', severity: 'error', comment: 'fleet/ and commands/ meet only in slack/types.ts',
      from: { path: '^src/commands/' }, to: { path: '^src/fleet/' } },
    { name: 'emulator-is-alone', severity: 'error', comment: 'the emulator must not share our bugs',
      from: { path: '^src/emulator/' }, to: { path: '^src/(?!emulator/)' } },
    { name: 'migrations-are-alone', severity: 'error', comment: 'migrations are frozen and import nothing from src/',
      from: { path: '^migrations/' }, to: { path: '^src/' } },
    { name: 'kysely-only-in-db', severity: 'error', comment: 'SQL lives in db/ and migrations/',
      from: { path: '^src/', pathNot: '^src/db/' }, to: { path: 'node_modules/kysely/' } },
    { name: 'cli-reaches-daemon-via-admin-client', severity: 'error',
      comment: 'cli/ talks to a running daemon only through admin/client.ts',
      from: { path: '^src/cli/' }, to: { path: '^src/(fleet|commands|db|daemon)' } },
    { name: 'lower-layers-stay-low', severity: 'error', comment: 'dependency direction: down the layout only',
      from: { path: '^src/(slack|db|lib)/' }, to: { path: '^src/(fleet|commands|admin|cli|daemon|main)' } },
    { name: 'lib-is-leaf', severity: 'error', from: { path: '^src/lib/' }, to: { path: '^src/(?!lib/)' } },
    { name: 'no-circular', severity: 'error', comment: 'type-only cycles are erased at compile time',
      from: {}, to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
