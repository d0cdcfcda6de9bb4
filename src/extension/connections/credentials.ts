/**
 * Entra ID credentials: VS Code's Microsoft sign-in (`vscode.authentication`), falling back to
 * DefaultAzureCredential from @azure/identity (Azure CLI, environment, managed identity…).
 */
import * as vscode from 'vscode';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { tokenExpiry } from '../../core/storage/jwt';
import { loadCore } from '../loadCore';

const STORAGE_SCOPES = ['https://storage.azure.com/.default'];

/** Signs in interactively (when asked) so later token requests can be silent. Resolves false when unavailable. */
export async function signInWithVsCode(interactive: boolean): Promise<boolean> {
  try {
    const session = await vscode.authentication.getSession('microsoft', STORAGE_SCOPES, interactive ? { createIfNone: true } : { silent: true });
    return session !== undefined;
  } catch {
    return false;
  }
}

export function createEntraCredential(auth: 'vscode' | 'default'): TokenCredential {
  let fallback: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes, options): Promise<AccessToken | null> {
      if (auth === 'vscode') {
        try {
          const session = await vscode.authentication.getSession('microsoft', STORAGE_SCOPES, { silent: true });
          if (session) return { token: session.accessToken, expiresOnTimestamp: tokenExpiry(session.accessToken) };
        } catch {
          /* no Microsoft auth provider here: fall back */
        }
      }
      fallback ??= loadCore().createDefaultAzureCredential(process.env);
      return (await fallback).getToken(scopes, options);
    },
  };
}
