/**
 * Drives the real VS Code workbench (VS Code server + Chromium, see scripts/vscode-runtime.mjs) as a person would:
 * open the Blob Copy view, expand Azurite → container → blob, right-click the blob, "Copy Blob To…", answer the
 * pickers, and see the job finish in the Copy Jobs panel. Asserts the bytes and metadata in Azurite, checks that the
 * panel stays readable at about 600, 900 and 1400 px (source and destination visible, actions inside the panel), and
 * saves screenshots to test-results/ (UPDATE_SCREENSHOTS=1 also writes docs/screenshots/ for the README). Also: one
 * click on "Sign in to Azure…" opens VS Code's Microsoft sign-in consent dialog.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startAzurite, AzuriteInstance } from '../helpers/azurite';

// Playwright's and the runtime's ESM entry points, loaded without TypeScript rewriting import() to require().
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The repository root: the nearest folder above this file with the extension's package.json. */
function findRoot(dir: string): string {
  for (let d = dir, i = 0; i < 10; d = path.dirname(d), i++) {
    const pkg = path.join(d, 'package.json');
    if (fs.existsSync(path.join(d, 'scripts', 'vscode-runtime.mjs')) && fs.existsSync(pkg)) return d;
  }
  throw new Error(`no blob-copy package.json above ${dir}`);
}
const root = findRoot(__dirname);
const CAT_NAMES = ['calico.jpg', 'siamese.jpg', 'persian.jpg', 'sphynx.jpg', 'bengal.jpg', 'ragdoll.jpg'];
const results = path.join(root, 'test-results');

/* eslint-disable @typescript-eslint/no-explicit-any */
describe('workbench: right-click a blob, Copy Blob To…, the job finishes in the Copy Jobs panel', () => {
  let azurite: AzuriteInstance;
  let server: { url: string; stop(): Promise<void> } | undefined;
  let browser: any;
  let page: any;
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-copy-wb-'));
  const content = Buffer.from('a picture of a cat, copied server-side '.repeat(1000));

  before(async () => {
    azurite = await startAzurite();
    const service = azurite.serviceClient();
    const photos = service.getContainerClient('photos');
    await photos.create();
    await photos.getBlockBlobClient('cats/tabby.jpg').uploadData(content, {
      blobHTTPHeaders: { blobContentType: 'image/jpeg' },
      metadata: { camera: 'workbench' },
    });
    for (const [i, name] of CAT_NAMES.entries()) {
      await photos.getBlockBlobClient(`cats/${name}`).uploadData(Buffer.alloc(4096 * (i + 1), i), { blobHTTPHeaders: { blobContentType: 'image/jpeg' } });
    }
    await service.getContainerClient('target').create();
    // Move: two blobs to move through the UI.
    const moves = service.getContainerClient('moves');
    await moves.create();
    await moves.getBlockBlobClient('inbox/dog.jpg').uploadData(Buffer.from('a dog, moved'), { metadata: { pet: 'dog' } });
    await moves.getBlockBlobClient('inbox/parrot.jpg').uploadData(Buffer.from('a parrot, cut and pasted'));
    const runtime = await importEsm(path.join(root, 'scripts', 'vscode-runtime.mjs'));
    server = await runtime.startServer({
      workspace,
      machineSettings: { 'blobCopy.azurite.port': azurite.port, 'blobCopy.openJobsOnCopy': true, 'workbench.startupEditor': 'none',
        'workbench.secondarySideBar.defaultVisibility': 'hidden', 'chat.disableAIFeatures': true },
    });
    browser = await runtime.launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(server!.url);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    fs.mkdirSync(results, { recursive: true });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    await azurite?.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  const row = (label: RegExp) => page.locator('.monaco-list-row', { hasText: label }).first();

  async function shot(name: string): Promise<void> {
    const file = path.join(results, `${name}.png`);
    await page.screenshot({ path: file });
    if (process.env.UPDATE_SCREENSHOTS) {
      const docs = path.join(root, 'docs', 'screenshots');
      fs.mkdirSync(docs, { recursive: true });
      fs.copyFileSync(file, path.join(docs, `${name}.png`));
    }
  }

  /** Answers the quick input whose title contains `step` (the widget is reused from one step to the next). */
  async function quickPick(step: string, text: string): Promise<void> {
    await page.locator('.quick-input-widget .quick-input-title', { hasText: step }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    await input.fill(text);
    // Enter only once the list has filtered down to the wanted item (under load filtering lags the typing).
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: text }).first().waitFor({ timeout: 15_000 });
    await input.press('Enter');
  }

  it('copies the blob and shows it done in the panel', async () => {
    try {
      await copyThroughTheWorkbench();
    } catch (e) {
      await shot('failure').catch(() => undefined);
      throw e;
    }
  });

  async function copyThroughTheWorkbench(): Promise<void> {
    // The Blob Copy view in the activity bar.
    await page.locator('.activitybar [aria-label^="Blob Copy"]').first().click({ timeout: 60_000 });
    await row(/Azurite/).click({ timeout: 60_000 });
    await page.keyboard.press('ArrowRight');
    await row(/^photos/).click({ timeout: 30_000 });
    await page.keyboard.press('ArrowRight');
    await row(/^cats/).click({ timeout: 30_000 });
    await page.keyboard.press('ArrowRight');
    const blobRow = row(/tabby\.jpg/);
    await blobRow.waitFor({ timeout: 30_000 });
    await shot('tree');

    // Under load the context menu can swallow the first click while it settles: try up to three times.
    const quickInput = page.locator('.quick-input-widget input');
    for (let attempt = 1; attempt <= 3; attempt++) {
      await blobRow.click({ button: 'right' });
      const item = page.locator('.monaco-menu .action-label', { hasText: 'Copy Blob To…' }).first();
      await item.waitFor({ state: 'visible', timeout: 15_000 });
      await page.waitForTimeout(300);
      await item.click();
      const opened = await quickInput.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false);
      if (opened) break;
      if (attempt === 3) throw new Error('the destination picker did not open after choosing "Copy Blob To…" three times');
      await page.keyboard.press('Escape');
    }
    await quickPick('destination connection', 'Azurite');
    await quickPick('destination container', 'target');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'destination folder' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const prefixInput = page.locator('.quick-input-widget input');
    await prefixInput.fill('from-photos/');
    await prefixInput.press('Enter');

    // The bytes and metadata arrive in Azurite.
    const dest = azurite.serviceClient().getContainerClient('target').getBlobClient('from-photos/tabby.jpg');
    let exists = false;
    for (let i = 0; i < 60 && !exists; i++) {
      exists = await dest.exists();
      if (!exists) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(exists, 'the destination blob appears in Azurite within 30 s');
    const props = await dest.getProperties();
    assert.equal(props.contentLength, content.length);
    assert.equal(props.contentType, 'image/jpeg');
    assert.equal(props.metadata?.camera, 'workbench');
    assert.deepEqual(await dest.downloadToBuffer(), content);

    // The Copy Jobs panel (a webview: an iframe inside an iframe) shows the job as done.
    const webview = page.frameLocator('iframe.webview').frameLocator('iframe');
    await webview.locator('text=/Done/').first().waitFor({ timeout: 30_000 });
    await webview.locator('text=/tabby\\.jpg/').first().waitFor({ timeout: 10_000 });

    // A folder: right-click "cats", Copy Folder To…, answer the pickers and the batch confirmation.
    for (let attempt = 1; attempt <= 3; attempt++) {
      await row(/^cats/).click({ button: 'right' });
      const item = page.locator('.monaco-menu .action-label', { hasText: 'Copy Folder To…' }).first();
      await item.waitFor({ state: 'visible', timeout: 15_000 });
      await page.waitForTimeout(300);
      await item.click();
      const opened = await quickInput.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false);
      if (opened) break;
      if (attempt === 3) throw new Error('the destination picker did not open after choosing "Copy Folder To…" three times');
      await page.keyboard.press('Escape');
    }
    await quickPick('destination connection', 'Azurite');
    await quickPick('destination container', 'target');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'destination folder' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await prefixInput.fill('all-cats/');
    await prefixInput.press('Enter');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.locator('text=/Copy 7 blobs/').first().waitFor({ timeout: 30_000 });
    await dialog.locator('.monaco-button', { hasText: /^Copy$/ }).first().click();
    const target = azurite.serviceClient().getContainerClient('target');
    let copied = 0;
    for (let i = 0; i < 60 && copied < 7; i++) {
      copied = 0;
      for await (const b of target.listBlobsFlat({ prefix: 'all-cats/' })) if (b.name) copied++;
      if (copied < 7) await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(copied, 7, 'the seven blobs of the folder arrive under all-cats/');
    assert.equal((await target.getBlobClient('all-cats/bengal.jpg').getProperties()).contentLength, 4096 * 5);
    await webview.locator('text=/8 jobs · .*\\(100%\\)/').first().waitFor({ timeout: 30_000 });
    await shot('copy-jobs');

    // Search by name (the host filters the paged list): only bengal.jpg's row stays, then every row again. The rows
    // that left are reused for the rows that come back (while small blobs copy, most rows change jobs at each update):
    // each row element on the page now carries a mark, and every row shown after the search must carry one.
    const rows = webview.locator('.jobs-row[data-job]');
    const shown = await rows.count();
    await rows.evaluateAll((els: object[]) => els.forEach((el) => Object.assign(el, { blobCopyMark: true })));
    const search = webview.locator('#search');
    await search.fill('bengal');
    await webview.locator('.jobs-row[data-job]', { hasText: 'tabby.jpg' }).first().waitFor({ state: 'detached', timeout: 15_000 });
    assert.equal(await webview.locator('.jobs-row[data-job]').count(), 1, 'one row matches "bengal"');
    assert.match(await webview.locator('.jobs-row[data-job]').first().innerText(), /bengal\.jpg/);
    await search.fill('');
    await webview.locator('.jobs-row[data-job]', { hasText: 'tabby.jpg' }).first().waitFor({ timeout: 15_000 });
    assert.equal(await rows.count(), shown, 'every row is back');
    const reused = await rows.evaluateAll((els: object[]) => els.filter((el) => (el as { blobCopyMark?: boolean }).blobCopyMark === true).length);
    assert.equal(reused, shown, 'the rows shown again are the row elements that were on the page (reused, not built anew)');

    // The panel at three window widths: the job's source and destination are readable, its actions are not cut off.
    for (const width of [600, 900, 1400]) await checkPanelAt(width, webview);
  }

  it("Sign in to Azure… (one click on the Azure root) opens VS Code's Microsoft sign-in; Cancel leaves the tree as it was", async () => {
    try {
      // Signed out, the Azure root shows the action; a click runs it (no menu).
      const action = row(/Sign in to Azure…/);
      await action.waitFor({ timeout: 60_000 });
      await action.click();
      // VS Code's own consent dialog for the built-in Microsoft authentication provider: "Allow" would go on to
      // Microsoft's sign-in page in the browser, which cannot be reached offline.
      const dialog = page.locator('.monaco-dialog-box', { hasText: /wants to sign in using Microsoft/ });
      await dialog.waitFor({ state: 'visible', timeout: 60_000 });
      assert.match(await dialog.innerText(), /Blob Copy/);
      await shot('azure-sign-in');
      await dialog.locator('.monaco-button', { hasText: /^Cancel$/ }).first().click();
      await dialog.waitFor({ state: 'detached', timeout: 15_000 });
      await row(/Sign in to Azure…/).waitFor({ timeout: 15_000 });
      await row(/Azurite/).waitFor({ timeout: 15_000 });
    } catch (e) {
      await shot('failure-azure').catch(() => undefined);
      throw e;
    }
  });

  it('moves a blob with Move To… (context menu) and another with Cut / Paste (Ctrl+X, Ctrl+V) through the real UI', async () => {
    try {
      await moveThroughTheWorkbench();
    } catch (e) {
      await shot('failure-move').catch(() => undefined);
      throw e;
    }
  });

  /** Polls (bounded) until `cond` holds. */
  async function until(what: string, cond: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 60; i++) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.fail(`${what} within 30 s`);
  }

  async function moveThroughTheWorkbench(): Promise<void> {
    const service = azurite.serviceClient();
    const moves = service.getContainerClient('moves');
    const target = service.getContainerClient('target');
    await page.setViewportSize({ width: 1400, height: 860 });
    await row(/^moves/).click({ timeout: 30_000 });
    await page.keyboard.press('ArrowRight');
    await row(/^inbox/).click({ timeout: 30_000 });
    await page.keyboard.press('ArrowRight');
    const dog = row(/dog\.jpg/);
    await dog.waitFor({ timeout: 30_000 });

    // Right-click → Move To… → the same pickers as a copy → the move confirmation → Move.
    const quickInput = page.locator('.quick-input-widget input');
    for (let attempt = 1; attempt <= 3; attempt++) {
      await dog.click({ button: 'right' });
      const item = page.locator('.monaco-menu .action-label', { hasText: 'Move To…' }).first();
      await item.waitFor({ state: 'visible', timeout: 15_000 });
      await page.waitForTimeout(300);
      await item.click();
      const opened = await quickInput.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false);
      if (opened) break;
      if (attempt === 3) throw new Error('the destination picker did not open after choosing "Move To…" three times');
      await page.keyboard.press('Escape');
    }
    await quickPick('destination connection', 'Azurite');
    await quickPick('destination container', 'target');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'destination folder' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await quickInput.fill('moved/');
    await quickInput.press('Enter');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.locator('text=/Move 1 blob/').first().waitFor({ timeout: 30_000 });
    await dialog.locator('text=/deleted only after its copy is committed and verified/').first().waitFor({ timeout: 5_000 });
    await shot('move-confirmation');
    await dialog.locator('.monaco-button', { hasText: /^Move$/ }).first().click();
    await until('dog.jpg arrives under target/moved/ and leaves moves/inbox/', async () => (await target.getBlobClient('moved/dog.jpg').exists()) && !(await moves.getBlobClient('inbox/dog.jpg').exists()));
    assert.equal((await target.getBlobClient('moved/dog.jpg').downloadToBuffer()).toString(), 'a dog, moved');
    assert.equal((await target.getBlobClient('moved/dog.jpg').getProperties()).metadata?.pet, 'dog');

    // Cut / Paste with the keyboard, as in VS Code's explorer: select parrot.jpg, Ctrl+X, select "target", Ctrl+V.
    // The move refreshes the tree: wait until dog.jpg has left it, so the click below is not undone by a re-render.
    await until('the tree drops dog.jpg after the move', async () => (await page.locator('.monaco-list-row', { hasText: /dog\.jpg/ }).count()) === 0);
    const parrot = row(/parrot\.jpg/);
    await parrot.click({ timeout: 30_000 });
    await until('parrot.jpg is selected in the tree', async () => (await parrot.getAttribute('aria-selected')) === 'true');
    await page.keyboard.press('Control+x');
    // The extension confirms a cut in the status bar; without it, say whether the selection never reached it.
    const cutSaid = page.locator('.statusbar-item', { hasText: /1 item cut/ }).first();
    const cutDone = await cutSaid.waitFor({ state: 'visible', timeout: 15_000 }).then(() => true, () => false);
    if (!cutDone) {
      const noSelection = (await page.locator('.notifications-toasts', { hasText: /Select blobs, folders or containers/ }).count()) > 0;
      throw new Error(`Ctrl+X on parrot.jpg did not cut: ${noSelection ? 'the extension saw no selection' : 'no status bar message and no notification (the keybinding did not run)'}`);
    }
    // Ctrl+V is bound only once the extension host has set blobCopy.canPaste, which reaches the web workbench a
    // round trip later: wait until the target's context menu offers Paste (the same `when`), then press it.
    const targetRow = row(/^target/);
    const deadline = Date.now() + 30_000;
    for (;;) {
      await targetRow.click({ button: 'right', timeout: 30_000 });
      const menu = page.locator('.monaco-menu .action-label').first();
      await menu.waitFor({ state: 'visible', timeout: 15_000 });
      const canPaste = (await page.locator('.monaco-menu .action-label', { hasText: /^Paste$/ }).count()) > 0;
      await page.keyboard.press('Escape');
      if (canPaste) break;
      if (Date.now() > deadline) throw new Error('Paste never became available after Ctrl+X (blobCopy.canPaste)');
      await page.waitForTimeout(200);
    }
    await targetRow.click({ timeout: 30_000 });
    await page.keyboard.press('Control+v');
    await dialog.locator('text=/Move 1 blob .* target/').first().waitFor({ timeout: 30_000 });
    await dialog.locator('.monaco-button', { hasText: /^Move$/ }).first().click();
    await until('parrot.jpg arrives in target/ and leaves moves/inbox/', async () => (await target.getBlobClient('parrot.jpg').exists()) && !(await moves.getBlobClient('inbox/parrot.jpg').exists()));
    assert.equal((await target.getBlobClient('parrot.jpg').downloadToBuffer()).toString(), 'a parrot, cut and pasted');
    await shot('moved');
  }

  /** Resizes the window to `width` and checks the Copy Jobs row of tabby.jpg; saves copy-jobs-<width>.png. */
  async function checkPanelAt(width: number, webview: any): Promise<void> {
    await page.setViewportSize({ width, height: 860 });
    const jobRow = webview.locator('.jobs-row[data-job]', { hasText: 'tabby.jpg' }).first();
    await jobRow.waitFor({ state: 'visible', timeout: 15_000 });
    const frame = page.locator('iframe.webview').first();
    // The workbench lays out again after a resize: wait until the panel's width has settled.
    let panel = await frame.boundingBox();
    for (let i = 0; i < 20; i++) {
      await page.waitForTimeout(250);
      const next = await frame.boundingBox();
      if (next && panel && Math.abs(next.width - panel.width) < 1) break;
      panel = next;
    }
    assert.ok(panel && panel.width > 100, `the Copy Jobs panel is on screen at ${width} px (${JSON.stringify(panel)})`);
    const right = Math.min(panel.x + panel.width, width);
    const inside = (box: { x: number; width: number } | null, what: string): void => {
      assert.ok(box, `${what} has a box at ${width} px`);
      assert.ok(box.x >= panel!.x - 1 && box.x + box.width <= right + 1, `${what} lies inside the panel at ${width} px: ${JSON.stringify(box)} in ${JSON.stringify(panel)}`);
    };
    for (const [selector, name] of [['.path.source', 'source'], ['.path.destination', 'destination']] as const) {
      const el = jobRow.locator(selector);
      assert.ok(await el.isVisible(), `the ${name} is visible at ${width} px`);
      assert.match(await el.innerText(), /tabby\.jpg/, `the ${name} shows the blob name at ${width} px`);
      const box = await el.boundingBox();
      inside(box, `the ${name}`);
      assert.ok(box.width >= 80, `the ${name} column is wide enough to read at ${width} px: ${box.width} px`);
      const cut = await el.evaluate((e: { scrollWidth: number; clientWidth: number }) => e.scrollWidth > e.clientWidth + 1);
      assert.equal(cut, false, `the ${name} text is not cut off at ${width} px`);
    }
    const buttons = jobRow.locator('.col-actions vscode-toolbar-button');
    assert.ok((await buttons.count()) >= 1, `the row has its actions at ${width} px`);
    for (let i = 0; i < (await buttons.count()); i++) {
      assert.ok(await buttons.nth(i).isVisible(), `action ${i + 1} is visible at ${width} px`);
      inside(await buttons.nth(i).boundingBox(), `action ${i + 1}`);
    }
    await shot(`copy-jobs-${width}`);
  }
});
