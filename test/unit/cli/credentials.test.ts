/** The CLI's Entra ID credential: options checked at once, @azure/identity (and MSAL) loaded only for a token. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { createDefaultCredential } from '../../../src/cli/credentials';
import { UsageError } from '../../../src/cli/args';

const identityLoaded = () => Object.keys(require.cache).some((k) => /[\\/]@azure[\\/](identity|msal-node)[\\/]/.test(k));

describe('CLI: the default Azure credential', () => {
  it('is made without loading @azure/identity (a copy with keys or a SAS never loads it); a bad authority is a usage error at once', () => {
    assert.equal(identityLoaded(), false, 'nothing loaded it before');
    const credential = createDefaultCredential({});
    assert.equal(typeof credential.getToken, 'function');
    assert.equal(identityLoaded(), false, 'made without loading @azure/identity');
    assert.throws(() => createDefaultCredential({ AZURE_AUTHORITY_HOST: 'not a url' }), UsageError);
  });
});
