/** The Copy Jobs panel's public surface for the shell (command table, activate()). */
export { CopyJobsPanel, openJobsCommand, registerCopyJobsSerializer } from './copyJobsPanel';
export type { CopyJobsPanelDeps, JobSource } from './copyJobsPanel';
