import { statusForErrorType } from './aws-error.js';

/** An error the sandbox answers instead of doing the operation. */
export interface ApiErrorFault {
  /** AWS error name, e.g. `ThrottlingException`, `AccessDeniedException`, `ServerException`. */
  error: string;
  message?: string;
  status?: number;
  /** How many calls get the error before the operation works again; unlimited when omitted. */
  times?: number;
}

/** A token bucket as AWS applies it per account and region: a call without a token is throttled. */
export interface ApiRateLimit {
  perSecond: number;
  burst: number;
}

interface RateBucket extends ApiRateLimit {
  tokens: number;
  updatedAt: number;
  throttled: number;
}

interface ArmedFault {
  error?: ApiErrorFault & { remaining: number };
  delayMs?: number;
  /** Calls left whose connection is cut before any answer (the client sees ECONNRESET / socket hang up). */
  resets?: number;
}

/**
 * Injected failures of the AWS API, keyed by `service:Operation` (`ecs:ExecuteCommand`) or a bare operation name
 * that matches it in any service. Lets every error path of the product be exercised against a real SDK client.
 */
export class ApiFaults {
  private readonly armed = new Map<string, ArmedFault>();
  private readonly buckets = new Map<string, RateBucket>();

  /**
   * Throttles `operation` (`ecs:ExecuteCommand`) as AWS does: a token bucket of `burst` tokens refilled at
   * `perSecond`; a call finding it empty gets ThrottlingException and does nothing.
   */
  rateLimit(operation: string, limit: ApiRateLimit): void {
    this.buckets.set(operation, { ...limit, tokens: limit.burst, updatedAt: Date.now(), throttled: 0 });
  }

  /** Calls refused by the rate limit of `operation` so far. */
  throttledCount(operation: string): number {
    return this.buckets.get(operation)?.throttled ?? 0;
  }

  /** Makes `operation` fail with `fault` (for `fault.times` calls, or until cleared). */
  inject(operation: string, fault: ApiErrorFault): void {
    const entry = this.armed.get(operation) ?? {};
    entry.error = { ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY };
    this.armed.set(operation, entry);
  }

  /** Shorthand for the throttling AWS answers when an account's API rate is exceeded. */
  throttle(operation: string, times?: number): void {
    this.inject(operation, { error: 'ThrottlingException', message: 'Rate exceeded', ...(times ? { times } : {}) });
  }

  /** Makes `operation` answer only after `delayMs`. */
  delay(operation: string, delayMs: number): void {
    const entry = this.armed.get(operation) ?? {};
    entry.delayMs = delayMs;
    this.armed.set(operation, entry);
  }

  /**
   * Cuts the connection of the next `times` calls of `operation` without doing the operation or answering: what a
   * reset between the bot and AWS looks like to the client (it cannot tell whether the call was acted on).
   */
  reset(operation: string, times = 1): void {
    const entry = this.armed.get(operation) ?? {};
    entry.resets = times;
    this.armed.set(operation, entry);
  }

  /** Removes the faults of one operation, or all of them. */
  clear(operation?: string): void {
    if (operation === undefined) {
      this.armed.clear();
      this.buckets.clear();
    } else {
      this.armed.delete(operation);
      this.buckets.delete(operation);
    }
  }

  /** Takes a token of the operation's rate limit; false when the call is to be throttled. */
  private withinRate(service: string, operation: string): boolean {
    const bucket = this.buckets.get(`${service}:${operation}`) ?? this.buckets.get(operation);
    if (!bucket) return true;
    const now = Date.now();
    bucket.tokens = Math.min(bucket.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * bucket.perSecond);
    bucket.updatedAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    bucket.throttled += 1;
    return false;
  }

  /** What to do for one call: consumes one use of an injected error. */
  take(
    service: string,
    operation: string,
  ): { error?: { type: string; message: string; status: number }; delayMs?: number; reset?: true } {
    if (!this.withinRate(service, operation)) {
      return { error: { type: 'ThrottlingException', message: 'Rate exceeded', status: 400 } };
    }
    const specific = this.armed.get(`${service}:${operation}`);
    const generic = this.armed.get(operation);
    const armed = (e: ArmedFault | undefined): boolean => (e?.error?.remaining ?? 0) > 0 || (e?.resets ?? 0) > 0;
    const entry = armed(specific) ? specific : armed(generic) ? generic : (specific ?? generic);
    if (!entry) return {};
    if (entry.resets !== undefined && entry.resets > 0) {
      entry.resets -= 1;
      return { reset: true };
    }
    const result: { error?: { type: string; message: string; status: number }; delayMs?: number } = {};
    if (entry.delayMs !== undefined) result.delayMs = entry.delayMs;
    if (entry.error && entry.error.remaining > 0) {
      entry.error.remaining -= 1;
      result.error = {
        type: entry.error.error,
        message: entry.error.message ?? `Injected ${entry.error.error}`,
        status: entry.error.status ?? statusForErrorType(entry.error.error),
      };
    }
    return result;
  }
}
