/** The sync confirmation (a modal): sync, sync and delete the extras, or cancel. */
import * as vscode from 'vscode';

export async function confirmSync(summary: string, detail: string, extras: number): Promise<'sync' | 'sync-delete' | undefined> {
  const keep = extras > 0 ? 'Sync, Keep Extras' : 'Sync';
  const del = `Sync and Delete ${extras === 1 ? 'the Extra' : `${extras.toLocaleString('en-US')} Extras`}`;
  const pick = await vscode.window.showWarningMessage(`${summary}?`, { modal: true, detail }, ...(extras > 0 ? [keep, del] : [keep]));
  return pick === keep ? 'sync' : pick === del ? 'sync-delete' : undefined;
}
