import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { TransportCloseInfo } from '../../../src/ssm/transport-port.js';
import { CLOSE_LIVENESS, connectWebSocket } from '../../../src/ssm/ws-transport.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function wsServer(): Promise<{ server: WebSocketServer; url: string }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  );
  return { server, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/data-channel/s` };
}

describe('WebSocket transport', () => {
  it('exchanges text and binary frames with no compression offered, and pings "keepalive" on connect', async () => {
    const { server, url } = await wsServer();
    const seen: Array<{ data: string; binary: boolean }> = [];
    const pings: string[] = [];
    let extensions: string | undefined;
    server.on('connection', (socket, request) => {
      extensions = request.headers['sec-websocket-extensions'];
      socket.on('ping', (data) => pings.push(data.toString()));
      socket.on('message', (data, isBinary) => {
        seen.push({ data: isBinary ? Buffer.from(data as Buffer).toString('hex') : data.toString(), binary: isBinary });
        socket.send(Buffer.from([1, 2, 3]));
      });
    });
    const transport = await connectWebSocket(url);
    const received: Array<Uint8Array | string> = [];
    transport.onMessage((data) => received.push(data));
    transport.sendText('{"MessageSchemaVersion":"1.0"}');
    transport.sendBinary(Uint8Array.of(0xde, 0xad));
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toEqual([
      { data: '{"MessageSchemaVersion":"1.0"}', binary: false },
      { data: 'dead', binary: true },
    ]);
    expect(received.map((d) => Buffer.from(d as Uint8Array).toString('hex'))).toEqual(['010203', '010203']);
    expect(pings).toEqual(['keepalive']);
    expect(extensions).toBeUndefined();
    const closed = new Promise<TransportCloseInfo>((resolve) => transport.onClose(resolve));
    transport.close(1000, 'done');
    expect((await closed).code).toBe(1000);
  });

  it('keeps pinging on its interval', async () => {
    const { server, url } = await wsServer();
    let pings = 0;
    server.on('connection', (socket) => socket.on('ping', () => (pings += 1)));
    const transport = await connectWebSocket(url, { pingIntervalMs: 50 });
    cleanups.push(() => transport.close());
    await new Promise((r) => setTimeout(r, 300));
    expect(pings).toBeGreaterThanOrEqual(4);
  });

  it('reports a server-side close once, with its code', async () => {
    const { server, url } = await wsServer();
    server.on('connection', (socket) => setTimeout(() => socket.close(4001, 'bye'), 50));
    const transport = await connectWebSocket(url);
    const closes: TransportCloseInfo[] = [];
    transport.onClose((info) => closes.push(info));
    await new Promise((r) => setTimeout(r, 300));
    expect(closes).toEqual([{ code: 4001, reason: 'bye' }]);
  });

  it('drops a socket whose peer stops answering pings', async () => {
    // A server that completes the WebSocket upgrade and then goes silent (no pongs, no frames).
    const sockets: Socket[] = [];
    const server: Server = createServer((socket) => {
      sockets.push(socket);
      socket.once('data', (request) => {
        const key = /Sec-WebSocket-Key: (.+)\r\n/i.exec(request.toString())?.[1] ?? '';
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const transport = await connectWebSocket(url, { pingIntervalMs: 50, livenessTimeoutMs: 200 });
    const closed = new Promise<TransportCloseInfo>((resolve) => transport.onClose(resolve));
    const info = await closed;
    expect(info.code).toBe(CLOSE_LIVENESS);
  });

  it('refuses ws:// to a non-loopback host before connecting', async () => {
    await expect(connectWebSocket('ws://example.com/x')).rejects.toThrow(
      expect.objectContaining({ code: 'ssm.transport.insecure_url' }),
    );
  });

  it('fails to connect with ssm.transport.connect', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(connectWebSocket(`ws://127.0.0.1:${port}/`)).rejects.toMatchObject({ code: 'ssm.transport.connect' });
  });
});
