// Stage 3, admit: every request carries a deadline (arrival + budget). Work that can no longer
// finish by its deadline is not started. The full scheduler (priorities, fairness, adaptive
// shedding) plugs in behind this interface.

export interface AdmissionRequest {
  arrivedAt: number;
  code: number;
  client: string;
}

export type AdmissionDecision = { admitted: true; deadline: number } | { admitted: false; reason: string };

export interface Admission {
  admit(req: AdmissionRequest, now: number): AdmissionDecision;
  /** Called once per admitted request when it ends, whatever the outcome. */
  done(req: AdmissionRequest, now: number): void;
}

/** Deadline-only admission: refuse what has already used its whole budget waiting. */
export class DeadlineAdmission implements Admission {
  inFlight = 0;
  constructor(private readonly budgetMs: number) {}

  admit(req: AdmissionRequest, now: number): AdmissionDecision {
    const deadline = req.arrivedAt + this.budgetMs;
    if (now >= deadline) return { admitted: false, reason: "deadline_passed" };
    this.inFlight++;
    return { admitted: true, deadline };
  }

  done(): void {
    this.inFlight--;
  }
}
