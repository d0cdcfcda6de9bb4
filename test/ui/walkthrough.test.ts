/** The "Get started with Blob Copy" walkthrough: contributed, its media shipped, its command links real commands. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../src/extension/commands/ids';
import { EXTENSION_ID, getEnv } from './env';

interface Step {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly media: { readonly svg?: string; readonly image?: string; readonly markdown?: string; readonly altText?: string };
  readonly completionEvents?: readonly string[];
}
interface Walkthrough {
  readonly id: string;
  readonly title: string;
  readonly steps: readonly Step[];
}

describe('walkthrough', () => {
  let ext: vscode.Extension<unknown>;
  let walkthrough: Walkthrough;
  before(async () => {
    await getEnv(); // activated: its commands are registered
    ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const all = (ext.packageJSON as { contributes: { walkthroughs?: Walkthrough[] } }).contributes.walkthroughs ?? [];
    walkthrough = all.find((w) => w.id === 'getStarted')!;
  });

  it('is contributed, with a step for adding a connection and for each of the three ways to copy', () => {
    assert.ok(walkthrough, 'walkthrough getStarted is contributed');
    assert.equal(walkthrough.title, 'Get started with Blob Copy');
    const links = (id: string) => walkthrough.steps.find((s) => s.id === id)?.description ?? '';
    assert.match(links('addConnection'), new RegExp(`\\(command:${COMMANDS.addConnection}\\)`));
    assert.match(links('copyTo'), new RegExp(`\\(command:${COMMANDS.copyBlobTo}\\)`));
    assert.match(links('copyPaste'), /Ctrl\+C[\s\S]*Ctrl\+V/);
    assert.match(links('copyFromUrl'), new RegExp(`\\(command:${COMMANDS.copyFromUrl}\\)`));
  });

  it('links and completion events name commands that exist in this window', async () => {
    const known = new Set(await vscode.commands.getCommands(true));
    const named = walkthrough.steps.flatMap((s) => [
      ...[...s.description.matchAll(/\(command:([\w.-]+)/g)].map((m) => m[1]),
      ...(s.completionEvents ?? []).filter((e) => e.startsWith('onCommand:')).map((e) => e.slice('onCommand:'.length)),
    ]);
    assert.ok(named.length >= 5, `only ${named.length} command links`);
    assert.deepEqual(
      named.filter((c) => !known.has(c)),
      [],
      'unknown commands in the walkthrough',
    );
  });

  it('ships the media of every step (svg with alt text, or markdown)', () => {
    for (const step of walkthrough.steps) {
      const file = step.media.svg ?? step.media.image ?? step.media.markdown;
      assert.ok(file && file.startsWith('media/walkthrough/'), `${step.id}: media under media/walkthrough/`);
      assert.ok(fs.existsSync(path.join(ext.extensionPath, file)), `${step.id}: ${file} exists`);
      if (!step.media.markdown) assert.ok(step.media.altText?.trim(), `${step.id}: alt text`);
    }
  });
});
