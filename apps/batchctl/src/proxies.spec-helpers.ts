import { createServer as createHttpServer, request } from 'node:http';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface Proxy {
  baseUrl: string;
  close(): Promise<void>;
}

export interface CuttableProxy extends Proxy {
  /** Drops every connection under way without a closing handshake, as a lost network does. */
  cut(): void;
  /** Connections it has taken so far. */
  readonly connections: number;
}

const listening = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const closing = (server: Server, sockets: Set<Socket>) => () =>
  new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  });

/** A TCP proxy in front of `targetUrl` whose connections the test can cut. */
export async function cuttableProxy(targetUrl: string): Promise<CuttableProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((inbound) => {
    connections += 1;
    const outbound = connect(Number(target.port), target.hostname);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  return {
    baseUrl: await listening(server),
    cut: () => sockets.forEach((socket) => socket.destroy()),
    get connections() {
      return connections;
    },
    close: closing(server, sockets),
  };
}

/** An HTTP proxy to `targetUrl` that answers every WebSocket upgrade 404, as a gateway without `/ws` would. */
export async function restOnlyProxy(targetUrl: string): Promise<Proxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const server = createHttpServer((inbound, outbound) => {
    const forwarded = request(
      {
        host: target.hostname,
        port: target.port,
        method: inbound.method,
        path: inbound.url,
        headers: inbound.headers,
      },
      (answer) => {
        outbound.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outbound);
      },
    );
    forwarded.on('error', () => outbound.destroy());
    inbound.pipe(forwarded);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (_request, socket) =>
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'),
  );
  return { baseUrl: await listening(server), close: closing(server, sockets) };
}
