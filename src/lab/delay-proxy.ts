import type { Socket, TCPSocketListener } from "bun";

/**
 * A TCP proxy on loopback that can delay what flows through it: the lab's slow-Redis fault. The service is
 * pointed at the proxy instead of Redis; raising `delayMs` makes every Redis reply arrive that much later,
 * from outside the service and without any code path of its own.
 */
export interface DelayProxy {
  port: number;
  setDelay(ms: number): void;
  stop(): void;
}

type Conn = { upstream: Socket<Conn> | null; pending: Uint8Array[] };

export async function startDelayProxy(target: { host: string; port: number }): Promise<DelayProxy> {
  let delayMs = 0;
  const later = (fn: () => void): void => {
    if (delayMs > 0) setTimeout(fn, delayMs);
    else fn();
  };
  const listener: TCPSocketListener<Conn> = Bun.listen<Conn>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      async open(client) {
        client.data = { upstream: null, pending: [] };
        try {
          const upstream = await Bun.connect<Conn>({
            hostname: target.host,
            port: target.port,
            socket: {
              // Replies from Redis are what the fault slows down.
              data: (_s, chunk) => {
                const copy = new Uint8Array(chunk);
                later(() => client.write(copy));
              },
              close: () => {
                client.end();
              },
              error: () => {
                client.end();
              },
            },
          });
          client.data.upstream = upstream;
          for (const c of client.data.pending) upstream.write(c);
          client.data.pending = [];
        } catch {
          client.end();
        }
      },
      data(client, chunk) {
        const copy = new Uint8Array(chunk);
        if (client.data.upstream) client.data.upstream.write(copy);
        else client.data.pending.push(copy);
      },
      close(client) {
        client.data.upstream?.end();
      },
      error(client) {
        client.data.upstream?.end();
      },
    },
  });
  return {
    port: listener.port,
    setDelay(ms: number) {
      delayMs = Math.max(0, ms);
    },
    stop() {
      listener.stop(true);
    },
  };
}
