/**
 * The sending side of `front-door-burst.ts`, in a process of its own: the bench's main process also plays Slack and
 * ECS for the bot, and timing acks on that busy event loop would count its work as the bot's latency. The requests
 * arrive signed and ready over IPC; this process only sends them, C at a time over kept-alive connections, and
 * times each one from the first byte sent to the last byte of the ack.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** One signed request, body and headers as Slack would send them. */
export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/** What the bench asks for: warm-up requests (one per connection), answered with `warm`, then the timed burst. */
export type SendOrder =
  | { kind: 'warm-up'; url: string; concurrency: number; requests: SignedRequest[] }
  | { kind: 'burst'; requests: SignedRequest[] };

/** The answer: per request of the burst (in order), its ack time and its status and body. */
export interface SendReport {
  ackMs: number[];
  statuses: number[];
  bodies: string[];
  burstMs: number;
}

function send(agent: Agent, url: string, signed: SignedRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          ...signed.headers,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(Buffer.byteLength(signed.body)),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(signed.body);
  });
}

async function run(agent: Agent, url: string, concurrency: number, burst: SignedRequest[]): Promise<SendReport> {
  const report: SendReport = {
    ackMs: new Array(burst.length).fill(Number.NaN),
    statuses: new Array(burst.length).fill(0),
    bodies: new Array(burst.length).fill(''),
    burstMs: 0,
  };
  let next = 0;
  const started = performance.now();
  const sender = async (): Promise<void> => {
    for (let i = next++; i < burst.length; i = next++) {
      const sentAt = performance.now();
      try {
        const answer = await send(agent, url, burst[i] as SignedRequest);
        report.statuses[i] = answer.status;
        report.bodies[i] = answer.body;
      } catch (error) {
        report.bodies[i] = String(error);
      }
      report.ackMs[i] = performance.now() - sentAt;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => sender()));
  report.burstMs = performance.now() - started;
  return report;
}

let agent: Agent | undefined;
let target = { url: '', concurrency: 1 };
process.on('message', (order: SendOrder) => {
  const fail = (error: unknown): void => {
    console.error(error);
    process.exit(1);
  };
  if (order.kind === 'warm-up') {
    agent = new Agent({ keepAlive: true, maxSockets: order.concurrency });
    target = { url: order.url, concurrency: order.concurrency };
    const opened = agent;
    Promise.all(order.requests.map((signed) => send(opened, order.url, signed))).then(
      () => process.send?.('warm'),
      fail,
    );
    return;
  }
  const opened = agent ?? new Agent({ keepAlive: true, maxSockets: target.concurrency });
  run(opened, target.url, target.concurrency, order.requests).then((report) => {
    opened.destroy();
    process.send?.(report, () => process.exit(0));
  }, fail);
});
