/**
 * The duty console's API as a client uses it (the demo's simulated duty officer): log in, then JSON
 * GETs and POSTs with the session cookie. Over HTTPS it trusts `ca` only (the demo's private CA).
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export class ConsoleError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ConsoleError";
  }
}

export class ConsoleClient {
  private cookie = "";

  constructor(
    private readonly baseUrl: string,
    private readonly ca?: string,
    private readonly timeoutMs = 5000,
  ) {}

  async login(username: string, password: string): Promise<void> {
    await this.send("POST", "/api/login", { username, password });
  }

  get<T>(path: string): Promise<T> {
    return this.send("GET", path) as Promise<T>;
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.send("POST", path, body) as Promise<T>;
  }

  private send(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
    const url = new URL(path, this.baseUrl);
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { "accept-language": "zh-CN" };
    if (this.cookie) headers.cookie = this.cookie;
    if (data !== undefined) headers["content-type"] = "application/json";
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { method, headers, timeout: this.timeoutMs, ...(this.ca ? { ca: this.ca } : {}) },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () => {
            const cookie = res.headers["set-cookie"]?.[0]?.split(";")[0];
            if (cookie) this.cookie = cookie;
            const status = res.statusCode ?? 0;
            let parsed: unknown = null;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = null;
            }
            if (status >= 200 && status < 300) resolve(parsed);
            else {
              const error = (parsed as { error?: string } | null)?.error ?? text.slice(0, 200);
              reject(new ConsoleError(status, `${method} ${path}: ${status} ${error}`));
            }
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () =>
        req.destroy(new Error(`${method} ${path}: no answer within ${this.timeoutMs} ms`)),
      );
      req.on("error", reject);
      req.end(data);
    });
  }
}
