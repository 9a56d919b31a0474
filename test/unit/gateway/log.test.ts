/** The gateway's logs never carry a secret that a client library hung on an error. */
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { errorForLog } from "../../../gateway/log.ts";

describe("error logging", () => {
  it("drops the request and response node-influx hangs on its errors (their headers hold the password)", () => {
    const authorization = `Basic ${Buffer.from("gateway:s3cret-password").toString("base64")}`;
    const error = Object.assign(new Error("A 403 Forbidden error occurred"), {
      req: { _header: `GET /query HTTP/1.1\r\nAuthorization: ${authorization}\r\n` },
      res: { statusCode: 403, req: { headers: { authorization } } },
      status: 403,
    });
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    pino({ base: undefined, serializers: { err: errorForLog } }, sink).warn({ err: error }, "query failed");
    const logged = JSON.parse(lines[0] ?? "{}") as { err: Record<string, unknown> };
    expect(logged.err).toMatchObject({
      message: "A 403 Forbidden error occurred",
      status: 403,
      type: "Error",
    });
    expect(lines.join("")).not.toContain(authorization.slice(6));
    expect(logged.err.req).toBeUndefined();
    expect(logged.err.res).toBeUndefined();
  });
});
