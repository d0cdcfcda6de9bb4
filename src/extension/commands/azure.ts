/** The Azure sign-in commands: sign in, sign out, select subscriptions, use an account's access key. */
import type { ConnectionNode } from '../tree/nodes';
import type { SubscriptionChoice } from '../context';
import type { CommandFactory } from './types';

export const azureSignIn: CommandFactory = (ctx) => async () => {
  const signedIn = await ctx.azure.cloud().signIn();
  if (!signedIn) return false;
  await ctx.azure.setSignedOut(false);
  ctx.log.info('Signed in to Azure: listing tenants and subscriptions.');
  ctx.tree.refresh(ctx.tree.azureRoot);
  return true;
};

export const azureSignOut: CommandFactory = (ctx) => async () => {
  await ctx.azure.setSignedOut(true);
  await ctx.connections.forgetAzure();
  ctx.log.info('Signed out of Azure in Blob Copy: discovered accounts and their chosen access keys forgotten.');
  void ctx.notify.info('Blob Copy no longer uses your Azure account. VS Code keeps the account itself signed in: sign it out in the Accounts menu.');
  return true;
};

export const selectSubscriptions: CommandFactory = (ctx) => async () => {
  const cloud = ctx.azure.cloud();
  const status = await cloud.status();
  if (!status.signedIn || ctx.azure.signedOut()) {
    void ctx.notify.info(status.unavailable ?? 'Sign in to Azure first (the Azure root of the Blob Copy tree).');
    return undefined;
  }
  const chosen = new Set(cloud.selectedSubscriptions());
  const items: SubscriptionChoice[] = [];
  for (const tenant of await cloud.tenants()) {
    for (const s of await cloud.subscriptions(tenant, true)) {
      const id = `${tenant.tenantId}/${s.subscriptionId}`;
      items.push({ id, label: s.name, description: `${tenant.displayName ?? tenant.tenantId} · ${s.subscriptionId}`, picked: chosen.size === 0 || chosen.has(id) });
    }
  }
  const picked = await ctx.prompts.pickSubscriptions(items);
  if (!picked) return undefined;
  // All picked is the same as no choice: new subscriptions show up too.
  await cloud.setSelectedSubscriptions(picked.length === items.length ? [] : picked);
  ctx.tree.refresh(ctx.tree.azureRoot);
  return picked;
};

export const useAccessKey: CommandFactory = (ctx) => async (inv) => {
  const node = inv.kind === 'menu' && inv.node.kind === 'connection' ? (inv.node as ConnectionNode) : undefined;
  const info = node?.info ?? (inv.kind === 'id' ? ctx.connections.get(inv.id) : undefined);
  const azure = info?.azure;
  if (!info || !azure) {
    void ctx.notify.info('Run "Use access key for this account" on a storage account under Azure in the Blob Copy tree.');
    return false;
  }
  if (!azure.allowSharedKeyAccess) throw new Error(`${info.accountName} does not allow shared key access: ask for a data role instead.`);
  if (!(await ctx.prompts.useAccessKey(info.accountName))) return false;
  const key = await ctx.azure.cloud().accountKey(azure, {
    id: '',
    name: info.accountName,
    subscriptionId: azure.subscriptionId,
    resourceGroup: azure.resourceGroup,
    isHnsEnabled: azure.hns,
    allowSharedKeyAccess: azure.allowSharedKeyAccess,
  });
  await ctx.connections.useAccessKey(info.id, key);
  ctx.log.info(`${info.accountName}: the access key the user chose is used (kept in secret storage).`);
  return true;
};
