import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP relay between the service and the shared PostgreSQL server, so a test can take the
 * database away from one service (and only that one) without stopping the server other test
 * files use. cut(): every open connection is dropped and new ones are closed at once, as a
 * server that went away looks to node-postgres; restore() relays again.
 */
export class DatabaseProxy {
  private readonly sockets = new Set<Socket>();
  private down = false;

  private constructor(private readonly server: Server, private readonly target: { host: string; port: number }) {}

  static async start(targetUrl: string): Promise<DatabaseProxy> {
    const parsed = new URL(targetUrl);
    const target = { host: parsed.hostname, port: Number(parsed.port || 5432) };
    let proxy: DatabaseProxy | null = null;
    const server = createServer((client) => proxy!.accept(client));
    proxy = new DatabaseProxy(server, target);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** `url` with its host and port replaced by the relay's. */
  through(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String((this.server.address() as AddressInfo).port);
    return parsed.toString();
  }

  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.down = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.down) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      this.sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  }
}
