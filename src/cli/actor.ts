/** Who a command acts as, for the audit log (docs/architecture.md "The audit log"). */
import { userInfo } from 'node:os';

/** The OS login, or `cli` where there is none (a container's uid without a passwd entry). */
export function cliActor(): string {
  try {
    return userInfo().username || 'cli';
  } catch {
    return 'cli';
  }
}
