/** A connected TCP client for tests: what it has received so far, and whether the server closed it. */
export async function tcpClient(port: number) {
  const state = { got: "", closed: false };
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, d) {
        state.got += d.toString("latin1");
      },
      close() {
        state.closed = true;
      },
    },
  });
  return { state, write: (text: string) => sock.write(text) };
}

/** "answered" or "refused" for a request on a new connection (never a pooled one). */
export const freshRequest = (url: string) =>
  fetch(url, { keepalive: false }).then(
    () => "answered",
    () => "refused",
  );
