import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { SlackUserActions } from '../sandbox/slack/slack-actions.js';
import type { SlackStandIn } from '../sandbox/slack/stand-in.js';
import type { JsonObject, StandInChange, StoredFile, StoredMessage } from '../sandbox/slack/types.js';
import { PlaygroundError } from './errors.js';
import { createHomeApi, homeViews } from './home-api.js';
import type { PlaygroundPerson } from './workspace-seed.js';

/** What the page server needs from the running stack. */
export interface PlaygroundServerOptions {
  standIn: SlackStandIn;
  /** Slack's part when a person acts: signed requests to the bot's HTTP receiver, acks applied as Slack does. */
  actions: SlackUserActions;
  channel: { id: string; name: string };
  people: readonly PlaygroundPerson[];
  /** Shown in the page's sidebar. */
  policyName: string;
  /** The bot's own HTTP server, whose /healthz, /readyz and /metrics the page's address answers too. */
  botUrl?: string;
  host: string;
  port: number;
}

/** The page server, listening. */
export interface PlaygroundServer {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;
/** Slack's limit for a slash command's text. */
const MAX_COMMAND_CHARS = 4000;
const HEARTBEAT_MS = 15_000;

const PAGE_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'page/index.html', type: 'text/html; charset=utf-8' },
  '/playground.css': { file: 'page/playground.css', type: 'text/css; charset=utf-8' },
  '/app.js': { file: 'page/app.js', type: 'text/javascript; charset=utf-8' },
  '/home-tab.js': { file: 'page/home-tab.js', type: 'text/javascript; charset=utf-8' },
};

// The page runs commands on this machine through the bot, so nothing but its own files may run in it.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type FileSummary = Omit<StoredFile, 'content'>;

function summarizeFile(file: StoredFile): FileSummary {
  const { content: _content, ...rest } = file;
  return rest;
}

function pageMessage(message: StoredMessage): Omit<StoredMessage, 'files'> & { files?: FileSummary[] } {
  const { files, ...rest } = message;
  return files ? { ...rest, files: files.map(summarizeFile) } : rest;
}

/** A change event without file bytes, for the page. */
function pageChange(change: StandInChange): JsonObject {
  if ('message' in change) return { ...change, message: pageMessage(change.message) };
  if (change.kind === 'file_shared') return { kind: change.kind, file: summarizeFile(change.file) };
  return { ...change };
}

/** The renderer's browser modules under `client/`, served at `/<name>.js`. */
const RENDERER_MODULES = new Set(['render-blocks', 'emoji']);

/** Reads a compiled renderer module, or compiles it from the sources when running from them (tests, `tsx`). */
async function rendererScript(name: string): Promise<string> {
  try {
    return await readFile(new URL(`./client/${name}.js`, import.meta.url), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const source = await readFile(new URL(`./client/${name}.ts`, import.meta.url), 'utf8');
  const ts = (await import('typescript')).default;
  return ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

/**
 * Serves the playground page and its JSON API on loopback. Every slash command, click and modal submission is
 * delivered to the bot's real HTTP receiver as Slack would send it, signed with the playground's secret; the
 * stand-in's `change` events reach the page as server-sent events.
 */
export async function startPlaygroundServer(options: PlaygroundServerOptions): Promise<PlaygroundServer> {
  const { standIn, channel } = options;
  const { actions } = options;
  const people = new Map(options.people.map((person) => [person.id, person]));
  const streams = new Set<ServerResponse>();
  let port = options.port;
  const renderers = new Map<string, Promise<string>>();

  const snapshot = (): JsonObject => {
    const state = standIn.channel(channel.id);
    return {
      channel,
      policy: options.policyName,
      people: options.people,
      usergroups: [...standIn.workspace.usergroups.values()].map(({ id, handle }) => ({ id, handle })),
      bot: { userId: standIn.identity.botUserId, botId: standIn.identity.botId, name: standIn.identity.botName },
      messages: (state?.messages ?? []).map(pageMessage),
      ephemerals: state?.ephemerals ?? [],
      views: standIn.views({ openOnly: true }),
      homes: homeViews(standIn, options.people),
    };
  };

  const onChange = (change: StandInChange): void => {
    if ('channel' in change && change.channel !== channel.id) return;
    const frame = `event: change\ndata: ${JSON.stringify(pageChange(change))}\n\n`;
    for (const stream of streams) stream.write(frame);
  };
  standIn.on('change', onChange);
  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const person = (value: unknown): PlaygroundPerson => {
    const found = typeof value === 'string' ? people.get(value) : undefined;
    if (!found) throw new HttpProblem(400, 'user must be one of the playground people');
    return found;
  };
  const text = (value: unknown, name: string, max: number): string => {
    if (typeof value !== 'string' || value.length > max) {
      throw new HttpProblem(400, `${name} must be text of at most ${max} characters`);
    }
    return value;
  };

  const homeApi = createHomeApi(standIn, actions, person, text);

  async function api(path: string, body: JsonObject): Promise<JsonObject> {
    switch (path) {
      case '/api/slash': {
        const user = person(body['user']);
        const typed = text(body['text'], 'text', MAX_COMMAND_CHARS).trim();
        const match = /^\/ecs-exec(?:\s+|$)/.exec(typed);
        if (!match) throw new HttpProblem(400, 'only /ecs-exec is installed in this workspace');
        // Slack sends these three characters as entities in a command's text; the bot undoes it.
        const slackText = typed
          .slice(match[0].length)
          .replace(/&/g, '&amp;')
          .replace(/</g, '&lt;')
          .replace(/>/g, '&gt;');
        const delivery = await actions.slashCommand({ user: user.id, channel: channel.id, text: slackText });
        return { status: delivery.status, ...(delivery.failure ? { failure: delivery.failure } : {}) };
      }
      case '/api/message': {
        const user = person(body['user']);
        const typed = text(body['text'], 'text', MAX_COMMAND_CHARS).trim();
        if (!typed) throw new HttpProblem(400, 'the message is empty');
        const threadTs = body['threadTs'] === undefined ? undefined : text(body['threadTs'], 'threadTs', 40);
        const message = standIn.postUserMessage(channel.id, user.id, typed, threadTs);
        return { ts: message.ts };
      }
      case '/api/click': {
        const user = person(body['user']);
        const messageTs = text(body['ts'], 'ts', 40);
        const actionId = text(body['actionId'], 'actionId', 255);
        const value = body['value'] === undefined ? undefined : text(body['value'], 'value', 2000);
        const visible =
          standIn.message(channel.id, messageTs) ??
          standIn.ephemeralsFor(user.id, channel.id).find((ephemeral) => ephemeral.ts === messageTs);
        if (!visible) throw new HttpProblem(404, 'that message is gone');
        const delivery = await actions.clickButton({
          user: user.id,
          channel: channel.id,
          messageTs,
          actionId,
          ...(value !== undefined ? { value } : {}),
        });
        return { status: delivery.status, ...(delivery.failure ? { failure: delivery.failure } : {}) };
      }
      case '/api/submit': {
        const user = person(body['user']);
        const viewId = text(body['viewId'], 'viewId', 64);
        const view = standIn.views({ user: user.id, openOnly: true }).find((candidate) => candidate.id === viewId);
        if (!view) throw new HttpProblem(404, 'that modal is not open for this user');
        const raw = body['values'];
        const values: Record<string, Record<string, string>> = {};
        if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
          for (const [blockId, byAction] of Object.entries(raw)) {
            if (typeof byAction !== 'object' || byAction === null) continue;
            values[blockId] = {};
            for (const [actionId, value] of Object.entries(byAction as JsonObject)) {
              (values[blockId] as Record<string, string>)[actionId] = text(value, 'a value', 3000);
            }
          }
        }
        const delivery = await actions.submitView({ user: user.id, viewId, values });
        return { status: delivery.status, ...(delivery.failure ? { failure: delivery.failure } : {}) };
      }
      case '/api/close': {
        const user = person(body['user']);
        const viewId = text(body['viewId'], 'viewId', 64);
        const view = standIn.views({ user: user.id, openOnly: true }).find((candidate) => candidate.id === viewId);
        if (view) standIn.closeView(view.id);
        return { closed: view !== undefined };
      }
      default: {
        const answered = await homeApi(path, body);
        if (answered) return answered;
        throw new HttpProblem(404, 'no such API');
      }
    }
  }

  function send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
    response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type });
    response.end(body);
  }

  function sendJson(response: ServerResponse, status: number, body: unknown): void {
    send(response, status, 'application/json; charset=utf-8', JSON.stringify(body));
  }

  async function readJson(request: IncomingMessage): Promise<JsonObject> {
    const type = request.headers['content-type'] ?? '';
    // A cross-site form cannot send JSON without a CORS preflight, which this server never grants.
    if (!type.startsWith('application/json')) throw new HttpProblem(415, 'send JSON');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new HttpProblem(413, 'request too large');
      chunks.push(chunk as Buffer);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new HttpProblem(400, 'invalid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new HttpProblem(400, 'send a JSON object');
    }
    return parsed as JsonObject;
  }

  /** Only this machine's page may drive the bot: other sites and DNS-rebound names are refused. */
  function fromOwnPage(request: IncomingMessage): boolean {
    const hosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    if (!hosts.includes(request.headers.host ?? '')) return false;
    const origin = request.headers.origin;
    return origin === undefined || hosts.some((host) => origin === `http://${host}`);
  }

  /**
   * The probes and metrics are the bot's, answered as its server answers them, so what is tried in the playground
   * (a scrape config, a readiness check) works the same against a deployed bot.
   */
  async function forwardToBot(response: ServerResponse, url: string): Promise<void> {
    const answer = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    const body = Buffer.from(await answer.arrayBuffer());
    response.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    response.end(body);
  }

  function serveFile(response: ServerResponse, id: string, download: boolean): void {
    const file = standIn.file(id);
    if (!file) throw new HttpProblem(404, 'no such file');
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      // Output is shown as text whatever its name says, never as a page of this origin.
      'content-type': file.mimetype.startsWith('image/') ? file.mimetype : 'text/plain; charset=utf-8',
      'content-security-policy': 'sandbox',
      'content-length': String(file.content.length),
    };
    if (download) headers['content-disposition'] = `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`;
    response.writeHead(200, headers);
    response.end(file.content);
  }

  function openStream(response: ServerResponse): void {
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    response.write(`event: snapshot\ndata: ${JSON.stringify(snapshot())}\n\n`);
    streams.add(response);
    response.on('close', () => streams.delete(response));
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!fromOwnPage(request)) throw new HttpProblem(403, 'open the playground at the address it printed');
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    const path = url.pathname;
    if (request.method === 'GET' || request.method === 'HEAD') {
      const page = PAGE_FILES[path];
      if (page) {
        send(response, 200, page.type, await readFile(fileURLToPath(new URL(`./${page.file}`, import.meta.url))));
        return;
      }
      const rendererName = /^\/([a-z-]+)\.js$/.exec(path)?.[1];
      if (rendererName !== undefined && RENDERER_MODULES.has(rendererName)) {
        const script = renderers.get(rendererName) ?? rendererScript(rendererName);
        renderers.set(rendererName, script);
        send(response, 200, 'text/javascript; charset=utf-8', await script);
        return;
      }
      if (path === '/api/state') return sendJson(response, 200, snapshot());
      if (path === '/api/events') return openStream(response);
      if (path.startsWith('/files/'))
        return serveFile(response, decodeURIComponent(path.slice(7)), url.searchParams.has('download'));
      if (options.botUrl && (path === '/healthz' || path === '/readyz' || path === '/metrics')) {
        return await forwardToBot(response, `${options.botUrl}${path}`);
      }
      if (path === '/healthz') return send(response, 200, 'text/plain; charset=utf-8', 'ok\n');
      if (path === '/favicon.ico') return send(response, 204, 'image/x-icon', '');
      throw new HttpProblem(404, 'not found');
    }
    if (request.method === 'POST' && path.startsWith('/api/')) {
      sendJson(response, 200, await api(path, await readJson(request)));
      return;
    }
    throw new HttpProblem(405, 'method not allowed');
  }

  const server: Server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof HttpProblem) sendJson(response, error.status, { error: error.message });
      else sendJson(response, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        error.code === 'EADDRINUSE'
          ? new PlaygroundError(
              `Port ${options.port} on ${options.host} is already in use. Choose another with PORT=${options.port + 1} npm start, or ecs-exec serve --playground --port ${options.port + 1}.`,
            )
          : error,
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://${options.host}:${port}/`,
    async close() {
      standIn.off('change', onChange);
      clearInterval(heartbeat);
      for (const stream of streams) stream.end();
      streams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
