import { describe, expect, it } from "vitest";
import { retainedIndexedPersistence } from "../../../gateway/broker/retained-index.ts";

interface Store {
  storeRetained(packet: { topic: string; payload: Buffer }): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: Buffer }>;
}

async function topics(store: Store, patterns: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const p of store.createRetainedStreamCombi(patterns)) out.push(p.topic);
  return out.sort();
}

describe("retained messages indexed by topic", () => {
  it("answers exact filters from the index and wildcards from the scan, and forgets a cleared topic", async () => {
    const store = retainedIndexedPersistence() as unknown as Store;
    const put = (topic: string, body: string) => store.storeRetained({ topic, payload: Buffer.from(body) });
    await put("checkpoint/v1/hw-01/lane-1/status", "on");
    await put("checkpoint/v1/hw-01/lane-2/status", "on");
    await put("checkpoint/v1/hw-01/lane-1/config", "cfg");
    expect(await topics(store, ["checkpoint/v1/hw-01/lane-1/config"])).toEqual([
      "checkpoint/v1/hw-01/lane-1/config",
    ]);
    expect(await topics(store, ["checkpoint/v1/hw-01/lane-9/config"])).toEqual([]);
    expect(await topics(store, ["checkpoint/v1/+/+/status", "checkpoint/v1/hw-01/lane-1/config"])).toEqual([
      "checkpoint/v1/hw-01/lane-1/config",
      "checkpoint/v1/hw-01/lane-1/status",
      "checkpoint/v1/hw-01/lane-2/status",
    ]);
    await put("checkpoint/v1/hw-01/lane-1/config", "");
    expect(await topics(store, ["checkpoint/v1/hw-01/lane-1/config"])).toEqual([]);
    expect(await topics(store, ["checkpoint/v1/#"])).toEqual([
      "checkpoint/v1/hw-01/lane-1/status",
      "checkpoint/v1/hw-01/lane-2/status",
    ]);
  });
});
