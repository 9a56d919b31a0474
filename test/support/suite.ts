/** Suite-level fixtures: a real influxd and the real gateway, started once per test file. */
import { afterAll, beforeAll } from "vitest";
import { startTestGateway, type TestGateway } from "./gateway.ts";
import { startTestInflux, type TestInflux } from "./influx.ts";

export interface GatewayWithInflux {
  influx: TestInflux;
  gw: TestGateway;
}

export function useGatewayWithInflux(env: Record<string, string> = {}): GatewayWithInflux {
  const ctx = {} as GatewayWithInflux;
  beforeAll(async () => {
    ctx.influx = await startTestInflux();
    ctx.gw = await startTestGateway(ctx.influx.url, env);
  });
  afterAll(async () => {
    await ctx.gw?.stop();
    await ctx.influx?.dispose();
  });
  return ctx;
}
