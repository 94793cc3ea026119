import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../shared/clock.js';
import { SlackStandInError } from './errors.js';
import type { FaultQueue } from './faults.js';
import { extractUploadBytes, isJsonObject, parseApiArgs, parseFormArgs } from './http-body.js';
import type { RateLimiter } from './rate-limits.js';
import type { ResponseUrls } from './response-urls.js';
import type { SocketModeServer } from './socket-mode.js';
import type { FaultSpec, JsonObject, RecordedCall } from './types.js';
import type { SlackWorkspace } from './workspace.js';

/** The bot scopes the product's manifest asks for; reported in `x-oauth-scopes` like Slack does. */
export const BOT_SCOPES = ['commands', 'chat:write', 'files:write', 'usergroups:read', 'users:read'] as const;

/** Methods that take the app-level token (`xapp-`); every other method takes the bot token. */
const APP_TOKEN_METHODS = new Set(['apps.connections.open']);
const UNAUTHENTICATED_METHODS = new Set(['api.test']);

export const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' } as const;

export interface StandInRoutesDeps {
  botToken: string;
  appToken: string;
  clock: Clock;
  workspace: SlackWorkspace;
  faults: FaultQueue;
  rateLimiter: RateLimiter | undefined;
  responseUrls: ResponseUrls;
  socketMode: SocketModeServer;
  maxBodyBytes: number;
  /** `http://127.0.0.1:<port>`, known once the server listens. */
  baseUrl(): string;
  /** Keeps an answered request for tests and pages. */
  record(call: RecordedCall): void;
}

/**
 * The stand-in's HTTP side: Web API calls (token checks, injected faults, rate limits, then the workspace), upload
 * URLs, response_urls and file downloads. Every answer is recorded.
 */
export class StandInRoutes {
  private readonly deps: StandInRoutesDeps;
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  constructor(deps: StandInRoutesDeps) {
    this.deps = deps;
  }

  /** Ends every injected delay at once (the server is closing). */
  wakeSleepers(): void {
    for (const sleeper of this.sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.resolve();
    }
    this.sleepers.clear();
  }

  async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.deps.baseUrl() || 'http://127.0.0.1');
    const path = url.pathname;
    if (path.startsWith('/api/')) {
      await this.handleApi(path.slice('/api/'.length), url, request, response);
      return;
    }
    if (path.startsWith('/upload/v1/') && request.method === 'POST') {
      await this.handleUpload(path.slice('/upload/v1/'.length), request, response);
      return;
    }
    if (path.startsWith('/response-url/') && request.method === 'POST') {
      await this.handleResponseUrl(path.slice('/response-url/'.length), request, response);
      return;
    }
    if (path.startsWith('/files/') && (request.method === 'GET' || request.method === 'HEAD')) {
      this.handleFileDownload(path, url, response);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('not found');
  }

  private async handleApi(method: string, url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = this.deps.clock.now();
    const raw = await this.readBody(request);
    let args: JsonObject;
    try {
      args = { ...Object.fromEntries(url.searchParams), ...parseApiArgs(request.headers['content-type'], raw) };
    } catch {
      this.reply(response, method, {}, undefined, at, 200, { ok: false, error: 'invalid_json' });
      return;
    }
    const authorization = request.headers.authorization;
    const bearer = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : undefined;
    const bodyToken = typeof args['token'] === 'string' ? args['token'] : undefined;
    delete args['token'];
    const token = bearer || bodyToken || undefined;

    const authError = this.authError(method, token);
    if (authError) {
      this.reply(response, method, args, token, at, 200, { ok: false, error: authError });
      return;
    }

    const fault = this.deps.faults.take(method, args);
    if (fault) {
      const handled = await this.applyFault(fault, response, method, args, token, at);
      if (handled) return;
    }

    const retryAfterSeconds = this.deps.rateLimiter?.check(method, args);
    if (retryAfterSeconds !== undefined) {
      this.reply(
        response,
        method,
        args,
        token,
        at,
        429,
        { ok: false, error: 'ratelimited' },
        {
          'retry-after': String(retryAfterSeconds),
        },
      );
      return;
    }

    const result =
      method === 'apps.connections.open'
        ? { ok: true, url: this.deps.socketMode.issueUrl(this.deps.baseUrl().replace(/^http/, 'ws')) }
        : this.deps.workspace.call(method, args);
    if (fault?.kind === 'lost_response') {
      this.record(method, args, token, at, 0, { ok: false, error: 'lost_response', would_have_been: result }, {});
      request.socket.destroy();
      return;
    }
    this.reply(response, method, args, token, at, 200, result);
  }

  /** Returns true when the fault already answered the request. */
  private async applyFault(
    fault: FaultSpec,
    response: ServerResponse,
    method: string,
    args: JsonObject,
    token: string | undefined,
    at: number,
  ): Promise<boolean> {
    switch (fault.kind) {
      case 'rate_limited':
        this.reply(
          response,
          method,
          args,
          token,
          at,
          429,
          { ok: false, error: 'ratelimited' },
          {
            'retry-after': String(fault.retryAfterSeconds),
          },
        );
        return true;
      case 'error':
        this.reply(response, method, args, token, at, 200, { ...fault.extra, ok: false, error: fault.error });
        return true;
      case 'http_error':
        this.reply(response, method, args, token, at, fault.status, { ok: false, error: 'service_unavailable' });
        return true;
      case 'slow':
        await this.sleep(fault.delayMs);
        return false;
      case 'lost_response':
        return false;
    }
  }

  private authError(method: string, token: string | undefined): string | undefined {
    if (UNAUTHENTICATED_METHODS.has(method)) return undefined;
    if (!token) return 'not_authed';
    const needsAppToken = APP_TOKEN_METHODS.has(method);
    if (token === this.deps.appToken) return needsAppToken ? undefined : 'not_allowed_token_type';
    if (token === this.deps.botToken) return needsAppToken ? 'not_allowed_token_type' : undefined;
    return 'invalid_auth';
  }

  private async handleUpload(uploadToken: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = this.deps.clock.now();
    const raw = await this.readBody(request);
    const bytes = extractUploadBytes(request.headers['content-type'], raw);
    const args: JsonObject = { upload_token: uploadToken, bytes: bytes.length };
    const fault = this.deps.faults.take('upload', args);
    if (fault?.kind === 'slow') await this.sleep(fault.delayMs);
    if (fault && fault.kind !== 'slow' && fault.kind !== 'lost_response') {
      const status = fault.kind === 'rate_limited' ? 429 : fault.kind === 'http_error' ? fault.status : 500;
      const headers: Record<string, string> =
        fault.kind === 'rate_limited' ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
      this.record('upload', args, undefined, at, status, 'upload failed', headers);
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      response.end('upload failed');
      return;
    }
    if (!this.deps.workspace.receiveUpload(uploadToken, bytes)) {
      this.record('upload', args, undefined, at, 404, 'not found', {});
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('not found');
      return;
    }
    if (fault?.kind === 'lost_response') {
      this.record('upload', args, undefined, at, 0, 'lost_response', {});
      request.socket.destroy();
      return;
    }
    const body = `OK - ${bytes.length}`;
    this.record('upload', args, undefined, at, 200, body, {});
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(body);
  }

  private async handleResponseUrl(id: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = this.deps.clock.now();
    const raw = await this.readBody(request);
    let payload: JsonObject;
    try {
      payload = parseResponseUrlBody(request.headers['content-type'], raw);
    } catch {
      this.reply(response, 'response_url', {}, undefined, at, 400, { ok: false, error: 'invalid_payload' });
      return;
    }
    const args: JsonObject = { ...payload, response_url_id: id };
    const fault = this.deps.faults.take('response_url', args);
    if (fault) {
      const handled = await this.applyFault(fault, response, 'response_url', args, undefined, at);
      if (handled) return;
    }
    const outcome = this.deps.responseUrls.post(id, payload);
    if (fault?.kind === 'lost_response') {
      this.record('response_url', args, undefined, at, 0, { ok: false, error: 'lost_response' }, {});
      request.socket.destroy();
      return;
    }
    this.reply(response, 'response_url', args, undefined, at, outcome.status, outcome.body);
  }

  private handleFileDownload(path: string, url: URL, response: ServerResponse): void {
    const id = decodeURIComponent(path.split('/')[2] ?? '');
    const file = this.deps.workspace.files.get(id);
    if (!file) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('file_not_found');
      return;
    }
    const headers: Record<string, string> = {
      'content-type': file.mimetype.startsWith('text/') ? `${file.mimetype}; charset=utf-8` : file.mimetype,
      'content-length': String(file.content.length),
      // A page renders the bytes as text, never as markup the bot did not mean to send.
      'x-content-type-options': 'nosniff',
    };
    if (url.searchParams.has('download')) {
      headers['content-disposition'] = `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`;
    }
    response.writeHead(200, headers);
    response.end(file.content);
  }

  private reply(
    response: ServerResponse,
    method: string,
    args: JsonObject,
    token: string | undefined,
    at: number,
    status: number,
    body: JsonObject,
    extraHeaders: Record<string, string> = {},
  ): void {
    const headers: Record<string, string> = { ...JSON_HEADERS, ...extraHeaders };
    if (token === this.deps.botToken) headers['x-oauth-scopes'] = BOT_SCOPES.join(',');
    this.record(method, args, token, at, status, body, extraHeaders);
    response.writeHead(status, headers);
    response.end(JSON.stringify(body));
  }

  private record(
    method: string,
    args: JsonObject,
    token: string | undefined,
    at: number,
    status: number,
    body: JsonObject | string,
    headers: Record<string, string>,
  ): void {
    this.deps.record({ method, args, token, at, response: { status, body, headers } });
  }

  private async readBody(request: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > this.deps.maxBodyBytes) {
        request.destroy();
        throw new SlackStandInError(
          'sandbox.slack.body_too_large',
          `Request body above ${this.deps.maxBodyBytes} bytes`,
        );
      }
      chunks.push(buffer);
    }
    return Buffer.concat(chunks);
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, ms),
        resolve,
      };
      this.sleepers.add(sleeper);
    });
  }
}

/** `response_url` posts are JSON; a form with a `payload` field is accepted as well. */
function parseResponseUrlBody(contentType: string | undefined, raw: Buffer): JsonObject {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/x-www-form-urlencoded') {
    const form = parseFormArgs(raw.toString('utf8'));
    const payload = form['payload'];
    return isJsonObject(payload) ? payload : form;
  }
  const parsed: unknown = JSON.parse(raw.toString('utf8'));
  if (!isJsonObject(parsed)) throw new Error('payload is not an object');
  return parsed;
}
