/** What activate returns, by extension mode (needs the host's ExtensionMode). */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { apiFor, type BlobCopyApi } from '../../src/extension/extension';

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
