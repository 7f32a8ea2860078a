// The peer of the side-by-side benchmark: Hocuspocus as it comes, one process, no extensions (no persistence,
// no auth), listening on 127.0.0.1 only.
//
//     node bench/peer/hocuspocus-server.mjs PORT
//
// Prints one line "listening <port>" when it accepts connections; stops on SIGINT or SIGTERM. Started and stopped
// by python -m bench.compare.
import { Server } from "@hocuspocus/server";

const port = Number(process.argv[2] ?? 0);
if (!Number.isInteger(port) || port < 0) {
  console.error("usage: node hocuspocus-server.mjs PORT");
  process.exit(2);
}

// Server.listen() binds every interface (it passes `address`, which http.Server.listen ignores), so listen on
// the server's own http server instead: loopback only. quiet: no start screen; stopOnSignals is ours below.
const server = new Server({ quiet: true, stopOnSignals: false });
server.httpServer.listen({ port, host: "127.0.0.1" }, () => {
  console.log(`listening ${server.httpServer.address().port}`);
});
server.httpServer.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => process.exit(0));
}
