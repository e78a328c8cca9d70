// Expected service time per request class: a smoothed mean and mean deviation of the time from
// start to completion, the estimator of TCP's retransmission timer (RFC 6298).

export class ServiceTimeEstimator {
  private readonly mean: number[];
  private readonly deviation: number[];
  private readonly seen: boolean[];

  /**
   * @param classes number of classes (indexed by rank)
   * @param alpha smoothing per sample (RFC 6298 takes 1/8 for the mean)
   * @param deviations mean deviations added to the mean in `admissionMs`
   */
  constructor(
    classes: number,
    private readonly alpha: number,
    private readonly deviations: number,
  ) {
    this.mean = new Array<number>(classes).fill(0);
    this.deviation = new Array<number>(classes).fill(0);
    this.seen = new Array<boolean>(classes).fill(false);
  }

  /** One service time (ms) of class `rank`. The first sample sets the mean, and half of it the deviation. */
  record(rank: number, ms: number): void {
    if (!this.seen[rank]) {
      this.mean[rank] = ms;
      this.deviation[rank] = ms / 2;
      this.seen[rank] = true;
      return;
    }
    const a = this.alpha;
    const mean = this.mean[rank] as number;
    this.deviation[rank] = (this.deviation[rank] as number) + a * (Math.abs(ms - mean) - (this.deviation[rank] as number));
    this.mean[rank] = mean + a * (ms - mean);
  }

  /** A sample of this class was recorded. */
  known(rank: number): boolean {
    return this.seen[rank] === true;
  }

  /** Smoothed mean (ms); 0 before the first sample. */
  expectedMs(rank: number): number {
    return this.mean[rank] as number;
  }

  /**
   * The service time a request of this class must still have ahead of it to be started: the
   * mean plus `deviations` mean deviations (a request started on the mean alone has about even
   * odds of ending late).
   */
  admissionMs(rank: number): number {
    return (this.mean[rank] as number) + this.deviations * (this.deviation[rank] as number);
  }
}
