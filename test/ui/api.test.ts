/**
 * What activate returns, by extension mode (needs the host's ExtensionMode); and what activation loads (start-up
 * time). This file runs first (the files run in name order), so nothing has used the engine yet.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { apiFor, type BlobCopyApi } from '../../src/extension/extension';
import { getEnv } from './env';

describe('activation: the engine on first use', () => {
  it('activation and the start-up check without a journal create no engine and load no dist/core.js; first use does', async function () {
    this.timeout(60_000);
    const { api } = await getEnv();
    assert.equal(api.engineCreated, false, 'activate() created the engine');
    assert.equal(api.coreLoaded, false, 'activate() loaded dist/core.js (the engine and the SDK)');
    // A fresh profile: the journal folder holds no journal file, so the check answers without the engine.
    const journal = fs.existsSync(api.journalDir) ? fs.readdirSync(api.journalDir) : [];
    assert.deepEqual(journal.filter((n) => /^(job|batch)-.*\.json$/.test(n)), []);
    assert.deepEqual(await api.checkUnfinished(), []);
    assert.equal(api.engineCreated, false, 'the start-up check created the engine');
    assert.equal(api.coreLoaded, false);
    assert.equal(api.statusBar.text, undefined, 'the status bar shows nothing');
    // First use: the engine and its module.
    assert.deepEqual(api.engine.jobs(), []);
    assert.equal(api.engineCreated, true);
    assert.equal(api.coreLoaded, true);
    assert.ok(api.logLines.some((l) => /Copy engine created in [\d.]+ ms, its module .* loaded with it/.test(l)));
  });
});

describe('extension API', () => {
  it('activate returns the full API (connection resolver) only in ExtensionMode.Test', () => {
    let built = 0;
    const full = () => {
      built++;
      return { apiVersion: 1, connections: {} } as unknown as BlobCopyApi;
    };
    for (const mode of [vscode.ExtensionMode.Production, vscode.ExtensionMode.Development]) {
      const api = apiFor(mode, full);
      assert.deepEqual(Object.keys(api), ['apiVersion']);
      assert.ok(Object.isFrozen(api));
    }
    assert.equal(built, 0, 'the full API is not even built outside a test run');
    assert.ok('connections' in apiFor(vscode.ExtensionMode.Test, full));
  });
});
