/**
 * Identical subgraph queries of the same caller that are in flight at the same time are sent
 * once: the later ones wait for the first call's answer. Many clients of one organisation (a
 * hotel chain's front desks, an analyst's dashboard refreshing) ask the same thing at once; the
 * subgraph's answer to the same body under the same caller's envelope is the same answer.
 *
 * What makes a call shareable is decided by the transport: only queries (never mutations), and
 * the key holds the subgraph, the URL, the caller exactly as the envelope carries it, and the
 * body, so no two callers ever share an answer. Each waiter gets its own copy of the answer's
 * text, parsed separately, because the gateway merges subgraph answers into its result in place.
 */
export interface SharedAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface InFlight {
  answer: Promise<SharedAnswer>;
  /** The first call's deadline: a later caller whose own deadline is sooner does not wait on it. */
  deadlineAt: number;
}

export class SharedCalls {
  private readonly inFlight = new Map<string, InFlight>();

  /** Calls in flight now, each counted once however many wait on it. */
  get size(): number {
    return this.inFlight.size;
  }

  /**
   * The answer of the call under `key` already in flight, or of `start()` when there is none
   * (or the one in flight may outlive this caller's deadline). `onShared` is told when this
   * caller waits on another's call. A failure reaches every waiter of that call; the next call
   * with the same key starts afresh.
   */
  run(key: string, deadlineAt: number, start: () => Promise<SharedAnswer>, onShared?: () => void): Promise<SharedAnswer> {
    const current = this.inFlight.get(key);
    if (current && current.deadlineAt <= deadlineAt) {
      onShared?.();
      return current.answer;
    }
    const answer = start();
    const entry: InFlight = { answer, deadlineAt };
    this.inFlight.set(key, entry);
    const forget = () => {
      if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
    };
    answer.then(forget, forget);
    return answer;
  }
}

/** The key of one subgraph call: subgraph, URL, the caller as the envelope carries it, and the exact body. */
export const sharedCallKey = (subgraph: string, url: string, caller: string, body: string): string =>
  `${subgraph}\u0000${url}\u0000${caller}\u0000${body}`;
