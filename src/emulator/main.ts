/**
 * Runs the Slack emulator as its own process.
 *
 *   node dist/src/emulator/main.js [--port N] [--host H] [--server-ping-interval-ms N]
 *                                  [--redeliver-unacked-after-ms N] [--disconnect-close-delay-ms N]
 *
 * The port may also come from `SLACK_EMULATOR_PORT` (default 0: random). When ready it prints
 * exactly one JSON line on stdout: `{"apiUrl":"http://…/api/","controlUrl":"http://…/_emulator/"}`.
 * SIGTERM / SIGINT stop it and exit 0.
 */
import { parseArgs } from 'node:util';
import { SlackEmulator } from './emulator.js';

function numberOr(value: string | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`emulator: not a number: ${value}`);
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'server-ping-interval-ms': { type: 'string' },
      'redeliver-unacked-after-ms': { type: 'string' },
      'disconnect-close-delay-ms': { type: 'string' },
    },
  });
  const redeliver = numberOr(values['redeliver-unacked-after-ms'], undefined);
  const slack = await SlackEmulator.start({
    port: numberOr(values.port ?? process.env['SLACK_EMULATOR_PORT'], 0) ?? 0,
    host: values.host ?? '127.0.0.1',
    redeliverUnackedAfterMs: redeliver ?? null,
    ...(values['server-ping-interval-ms'] === undefined ? {} : { serverPingIntervalMs: numberOr(values['server-ping-interval-ms'], 5000) ?? 5000 }),
    ...(values['disconnect-close-delay-ms'] === undefined ? {} : { disconnectCloseDelayMs: numberOr(values['disconnect-close-delay-ms'], 300) ?? 300 }),
  });
  process.stdout.write(`${JSON.stringify({ apiUrl: slack.apiUrl, controlUrl: slack.controlUrl })}\n`);
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    void slack.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
