/** A command: a factory `(ctx) => handler`; the handler gets its invocation already read (see invocation.ts). */
import type { Ctx } from '../context';
import type { StorageNode } from '../tree/nodes';
import type { Invocation } from './invocation';

export type CommandInvocation = Invocation<StorageNode>;

export type CommandFactory = (ctx: Ctx) => (inv: CommandInvocation) => unknown;
