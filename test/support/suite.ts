/** Suite-level fixtures: a real influxd and the real gateway, started once per test file. */
import { afterAll, beforeAll } from "vitest";
import { startTestGateway, type TestGateway } from "./gateway.ts";
import { startTestInflux, type TestInflux } from "./influx.ts";

export interface GatewayWithInflux {
  influx: TestInflux;
  gw: TestGateway;
}

/** `options.tls`: MQTT over TLS with a test CA (support/tls.ts); `https`: the console too. */
export function useGatewayWithInflux(
  env: Record<string, string> = {},
  options: { tls?: boolean; https?: boolean } = {},
): GatewayWithInflux {
  const ctx = {} as GatewayWithInflux;
  beforeAll(async () => {
    ctx.influx = await startTestInflux();
    ctx.gw = await startTestGateway(ctx.influx.url, env, options);
  });
  afterAll(async () => {
    await ctx.gw?.stop();
    await ctx.influx?.dispose();
  });
  return ctx;
}
