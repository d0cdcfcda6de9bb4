/**
 * The copy engine and the storage SDK (src/core), loaded on first use. This is the ONE place the extension reaches
 * them at run time: everything else imports only types from '../core', and values only from the SDK-free core
 * modules (redact, limits, connectionString, conflictPolicy, cost, recoverability, journal, engineOptions…).
 * In the release build (scripts/build.mjs) this require stays a require of the separate bundle dist/core.js, so
 * activating the extension does not parse or run the SDK; compiled by tsc (the tests) it requires out/src/core.
 * The build fails when the extension bundle holds the SDK anyway (an eager import slipped in).
 */
type Core = typeof import('../core');

let core: Core | undefined;

/** The engine's module (loads it on the first call, synchronously: a require). */
export function loadCore(): Core {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the deferred load; see above
  core ??= require('../core') as Core;
  return core;
}

/** Whether loadCore() ran in this process (tests, the start-up benchmark). */
export function coreLoaded(): boolean {
  return core !== undefined;
}

type Azure = typeof import('./azure/cloud');
let azure: Azure | undefined;

/** The Azure sign-in and account discovery (dist/azure.js in the release build), loaded on the first call. */
export function loadAzure(): Azure {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the deferred load; see above
  azure ??= require('./azure/cloud') as Azure;
  return azure;
}
