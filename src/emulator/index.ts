/**
 * The Slack emulator: a stand-in for Slack's Web API, Socket Mode and RTM that real, unmodified
 * Slack clients talk to through `slackApiUrl`. Imports nothing from the rest of `src/`.
 * See README.md in this folder.
 */
export { SlackEmulator } from './emulator.js';
export { MAX_SOCKETS_PER_APP } from './socket-mode.js';
export type { ConnectionsOpenScope } from './faults.js';
export type * from './types.js';
export type { ButtonClickInput, ViewSubmissionResult, ViewSubmitInput } from './interactions.js';
export type { OpenView } from './views.js';
export type { HttpRetryReason, RequestUrlConfig, UrlVerification } from './http-delivery.js';
export { signatureHeaders } from './http-delivery.js';
export { TRIGGER_TTL_MS, MAX_VIEW_STACK } from './views.js';
