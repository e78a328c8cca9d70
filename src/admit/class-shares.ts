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

  /**
   * The class to serve next: of the classes owed a whole dispatch, the one owed most (the higher
   * on a tie), else the highest with work; -1: none.
   */
  pick(hasWork: (rank: number) => boolean): number {
    let top = -1;
    let owedMost = -1;
    for (let r = 1; r < this.shares.length; r++) {
      if (!hasWork(r)) continue;
      const owed = this.owed[r] as number;
      if (owed >= 1 - 1e-9 && (owedMost < 0 || owed > (this.owed[owedMost] as number) + 1e-9)) owedMost = r;
      if (top < 0) top = r;
    }
    return owedMost >= 0 ? owedMost : top;
  }

  /**
   * One dispatch went to class `chosen`: every class with work waiting accrues its share, capped
   * at two dispatches (one more than it takes to be picked, so that a class kept waiting by
   * another owed at the same moment loses nothing); a class with none is owed nothing. The chosen
   * class accrues its share too and pays one dispatch, so that over time it gets its share exactly.
   */
  accrue(chosen: number, hasWork: (rank: number) => boolean): void {
    for (let r = 1; r < this.shares.length; r++) {
      const share = this.shares[r] as number;
      const owed = this.owed[r] as number;
      if (r === chosen) {
        const left = owed + share - 1;
        this.owed[r] = left > 1e-9 ? left : 0;
      } else if (hasWork(r)) this.owed[r] = Math.min(owed + share, 2);
      else this.owed[r] = 0;
    }
  }

  /** What class `rank` is owed now (for tests and stats). */
  owedTo(rank: number): number {
    return this.owed[rank] as number;
  }
}
