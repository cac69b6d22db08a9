/** The attempt no longer holds its ticket: it must stop without another tool call or transition. */
export class LeaseLost extends Error {
  constructor(
    /** Short and stable, for the ticket's event: "lease lost", or "agent stopped". */
    readonly reason: string,
    readonly detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = "LeaseLost";
  }
}

export interface HeldLease {
  /** Why the lease was lost, or null while it is held. */
  readonly lost: LeaseLost | null;
  /** Renews now and throws LeaseLost if the ticket is no longer ours: called before every act. */
  confirm(): void;
  /** Waits for `p`, but throws LeaseLost as soon as the lease goes (`p` runs on; its result is dropped). */
  guard<T>(p: Promise<T>): Promise<T>;
  /** Gives the lease up from this side (a graceful stop): the attempt stops as if it had been lost. */
  release(reason: string): void;
  /** Stops the renewals; the attempt is over. */
  end(): void;
}

/**
 * Keeps a ticket's lease alive while an attempt works it: renews every `everyMs`, and again before each act,
 * because between two renewals the lease can expire and another worker claim the ticket. `renew` returns
 * false when the lease is gone; a renewal that throws is treated the same, since we can no longer prove
 * the ticket is ours.
 */
export function holdLease(renew: () => boolean, everyMs: number): HeldLease {
  let lost: LeaseLost | null = null;
  let onLost: (err: LeaseLost) => void = () => {};
  const lostSignal = new Promise<never>((_, reject) => {
    onLost = reject;
  });
  lostSignal.catch(() => {}); // only guard() listens; an attempt that never waits must not leak a rejection

  function lose(reason: string, detail?: string): void {
    if (lost !== null) return;
    lost = new LeaseLost(reason, detail);
    clearInterval(timer);
    onLost(lost);
  }

  function renewNow(): void {
    if (lost !== null) return;
    try {
      if (!renew()) lose("lease lost", "it could not be renewed: it expired, or another worker holds it");
    } catch (err) {
      lose("lease lost", `renewing it failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  const timer = setInterval(renewNow, everyMs);

  return {
    get lost() {
      return lost;
    },
    confirm() {
      renewNow();
      if (lost !== null) throw lost;
    },
    guard<T>(p: Promise<T>): Promise<T> {
      if (lost !== null) return Promise.reject(lost);
      return Promise.race([p, lostSignal]);
    },
    release(reason: string) {
      lose(reason);
    },
    end() {
      clearInterval(timer);
    },
  };
}
