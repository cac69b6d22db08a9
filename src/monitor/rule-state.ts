/** Pure `for`-duration logic shared by invariants: a condition must hold continuously before it fires. */
export interface PendingState {
  pending_since: number | null;
}

export function stepPending(
  prev: PendingState,
  violating: boolean,
  forMs: number,
  now: number,
): PendingState & { firing: boolean } {
  if (!violating) return { pending_since: null, firing: false };
  const since = prev.pending_since ?? now;
  return { pending_since: since, firing: now - since >= forMs };
}
