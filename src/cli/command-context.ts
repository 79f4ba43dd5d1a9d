import type { Writable } from 'node:stream';

/** What a command group defined in its own file (`attain salesforce …`) gets from the main program. */
export interface CommandContext {
  /** The --workspace option, read when a command runs. */
  workspace: () => string;
  out: Writable;
  /** Sets the process's exit status. */
  exit: (code: number) => void;
}
