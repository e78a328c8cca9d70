// Strict priority between the queued classes, except that each class with work waiting is owed
// a minimum share of the dispatches, so that no class starves at light overload. Rank 0
// (Status-Server) never queues and takes no part.

export class ClassShares {
  private readonly shares: number[];
  private readonly owed: number[];

  /** `shares[rank]`: the minimum share (0..1) of each class. */
  constructor(shares: readonly number[]) {
    this.shares = [...shares];
    this.owed = new Array<number>(shares.length).fill(0);
  }

  /** New minimum shares (live reload); what each class is owed so far is kept. */
  setShares(shares: readonly number[]): void {
    shares.forEach((s, r) => (this.shares[r] = s));
  }

  /** The class to serve next: the first class owed a whole dispatch, else the highest with work; -1: none. */
  pick(hasWork: (rank: number) => boolean): number {
    let top = -1;
    for (let r = 1; r < this.shares.length; r++) {
      if (!hasWork(r)) continue;
      if ((this.owed[r] as number) >= 1 - 1e-9) return r;
      if (top < 0) top = r;
    }
    return top;
  }

  /**
   * One dispatch went to class `chosen`: every class with work waiting (and the chosen one)
   * accrues its share, capped at one dispatch plus its share; a class with none is owed nothing.
   */
  accrue(chosen: number, hasWork: (rank: number) => boolean): void {
    for (let r = 1; r < this.shares.length; r++) {
      const share = this.shares[r] as number;
      if (r === chosen || hasWork(r)) this.owed[r] = Math.min((this.owed[r] as number) + share, 1 + share);
      else this.owed[r] = 0;
    }
    const left = (this.owed[chosen] as number) - 1;
    this.owed[chosen] = left > 1e-9 ? left : 0;
  }

  /** What class `rank` is owed now (for tests and stats). */
  owedTo(rank: number): number {
    return this.owed[rank] as number;
  }
}
