import type { FaultHandle, FaultSpec, JsonObject } from './types.js';

class RegisteredFault implements FaultHandle {
  remaining: number;
  hits = 0;

  constructor(
    readonly spec: FaultSpec,
    private readonly onClear: (fault: RegisteredFault) => void,
  ) {
    this.remaining = spec.times ?? 1;
  }

  clear(): void {
    this.onClear(this);
  }
}

/** Scripted misbehaviours, consumed in the order they were injected. */
export class FaultQueue {
  private faults: RegisteredFault[] = [];

  add(spec: FaultSpec): FaultHandle {
    const fault = new RegisteredFault(spec, (done) => {
      this.faults = this.faults.filter((candidate) => candidate !== done);
    });
    this.faults.push(fault);
    return fault;
  }

  clear(): void {
    this.faults = [];
  }

  /** The fault the next call to `method` suffers, if any; counts it as used. */
  take(method: string, args: JsonObject): FaultSpec | undefined {
    const fault = this.faults.find(
      (candidate) =>
        (candidate.spec.method === method || candidate.spec.method === '*') &&
        (candidate.spec.match === undefined || candidate.spec.match(args)),
    );
    if (!fault) return undefined;
    fault.hits += 1;
    fault.remaining -= 1;
    if (fault.remaining <= 0) fault.clear();
    return fault.spec;
  }
}
