// Which stage a server is in when something fails, so its error message can say so (stage, call, errno).
import { SysError } from '../sockets/libc.ts';
import { LoadError } from './libbpf.ts';
import type { ServerStage } from '../../scripts/run/server/ipc.ts';

/** A failure and the stage it happened in. */
export class StageError extends Error {
  constructor(
    readonly stage: ServerStage,
    readonly failure: unknown,
  ) {
    super(failure instanceof Error ? failure.message : String(failure), { cause: failure });
  }

  /** The failing system or libbpf call, where the failure was one. */
  get call(): string | undefined {
    return this.failure instanceof SysError ? this.failure.call : undefined;
  }

  get errno(): number | undefined {
    return this.failure instanceof SysError ? this.failure.errno : undefined;
  }

  /** The end of the verifier's log, when the kernel refused the program. */
  get verifier(): string | undefined {
    return this.failure instanceof LoadError && this.failure.verifierLog ? this.failure.verifierLog : undefined;
  }
}

/** Runs `step`; a failure in it is reported as a failure of `stage` (an inner stage's report stands). */
export function atStage<T>(stage: ServerStage, step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw error instanceof StageError ? error : new StageError(stage, error);
  }
}
