/** GET /health: the gateway's counters as JSON, for the launcher, probes and tests. Loopback by default. */
import { createServer, type Server } from "node:http";

export async function startHealthServer(host: string, port: number, snapshot: () => object): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/health") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(snapshot()));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found: try GET /health\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
