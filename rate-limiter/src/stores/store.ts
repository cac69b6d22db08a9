import type { BucketLimits, BucketState, Decision } from "../bucket";

/** Where bucket state lives. Limits travel with every call so a config reload applies at once. */
export interface Store {
  /** Takes `hits` tokens (0 only looks) and answers with the decision. Never throws. */
  check(key: string, limits: BucketLimits, hits: number): Promise<Decision>;
  /** The same decision without a promise, for stores that hold their state in process. */
  checkSync?(key: string, limits: BucketLimits, hits: number): Decision;
  /** The bucket refilled to now, or undefined when the key has no state (it would start full). */
  inspect(key: string, limits: BucketLimits): Promise<BucketState | undefined>;
  /** Keys holding state; -1 when the store cannot tell cheaply. */
  size(): number;
  /** For stores where `size` is -1: a slower count for scrapes, undefined when it cannot finish in time. */
  countKeys?(): Promise<number | undefined>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
