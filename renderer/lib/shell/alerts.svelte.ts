import { isForkscopeError } from '../../../contract/errors';

export interface Alert {
  id: number;
  /** What the user was doing: "Launch", "Terminate"… */
  action: string;
  code: string;
  message: string;
  /** A notice (a log warning) rather than a failed call; says so and is styled apart. */
  notice?: boolean;
  /** Choices offered with it (the log budget's three); choosing one dismisses the alert. */
  choices?: { label: string; choose: () => void }[];
  /** An alert with a key replaces the one before it with the same key (a warning that updates). */
  key?: string;
}

/** The one sentence and code of anything thrown by a call; ForkscopeErrors already carry both. */
export function describeError(error: unknown): { code: string; message: string } {
  if (isForkscopeError(error)) return { code: error.code, message: error.message };
  const withCode = error as { code?: unknown; message?: unknown } | null;
  if (withCode && typeof withCode.message === 'string') {
    return {
      code: typeof withCode.code === 'string' ? withCode.code : 'internal',
      message: withCode.message,
    };
  }
  return { code: 'internal', message: String(error) };
}

/** Errors from calls, shown in the alert region until dismissed: never swallowed, never fatal. */
class AlertsStore {
  items = $state.raw<Alert[]>([]);
  #nextId = 1;

  report(action: string, error: unknown): void {
    const { code, message } = describeError(error);
    const alert = { id: this.#nextId++, action, code, message };
    // The newest first, and a bounded list: a burst of failures must not bury the page.
    this.items = [alert, ...this.items].slice(0, 5);
  }

  /** A notice that is not a failure: a log that is incomplete, a budget warning. */
  notify(action: string, message: string, options: Pick<Alert, 'code' | 'choices' | 'key'>): void {
    const alert: Alert = { id: this.#nextId++, action, message, notice: true, ...options };
    const others = options.key ? this.items.filter((item) => item.key !== options.key) : this.items;
    this.items = [alert, ...others].slice(0, 5);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((alert) => alert.id !== id);
  }

  /**
   * Runs `work`, reporting its failure under `action`; resolves to undefined when it failed. When
   * it works, an earlier failure of the same action is dismissed: it no longer says how things are
   * (a launch from a missing folder, then the same launch from the right one, kept "Launch failed"
   * above the run that had started).
   */
  async attempt<T>(action: string, work: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await work();
      if (this.items.some((alert) => !alert.notice && alert.action === action)) {
        this.items = this.items.filter((alert) => alert.notice || alert.action !== action);
      }
      return result;
    } catch (error) {
      this.report(action, error);
      return undefined;
    }
  }
}

export const alerts = new AlertsStore();
