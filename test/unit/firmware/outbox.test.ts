import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Outbox } from "../../../firmware/uplink/outbox.ts";
import { screening } from "../../support/events.ts";
import { tempDir } from "../../support/tmp.ts";

describe("durable outbox", () => {
  let dir: ReturnType<typeof tempDir>;
  const warnings: string[] = [];
  const log = pino({ level: "warn" }, { write: (line: string) => warnings.push(line) });
  beforeEach(() => {
    dir = tempDir("outbox");
    warnings.length = 0;
  });
  afterEach(() => dir.remove());

  it("gives events back oldest first and forgets one only when it is acknowledged", () => {
    const box = new Outbox(join(dir.path, "o.db"), 100, log);
    const events = [screening(), screening(), screening()];
    for (const e of events) box.enqueue("t", e);
    expect(box.peek(10).map((x) => x.id)).toEqual(events.map((e) => e.id));
    box.ack(events[1]?.id ?? "");
    expect(box.peek(10).map((x) => x.id)).toEqual([events[0]?.id, events[2]?.id]);
    expect(box.depth).toBe(2);
    box.close();
  });

  it("keeps its events across a restart, with their original timestamps", () => {
    const first = new Outbox(join(dir.path, "o.db"), 100, log);
    const e = screening({ ts: "2026-11-29T03:00:00.000Z" });
    first.enqueue("t", e);
    first.close();
    const second = new Outbox(join(dir.path, "o.db"), 100, log);
    expect(second.depth).toBe(1);
    expect(JSON.parse(second.peek(1)[0]?.payload ?? "{}").ts).toBe("2026-11-29T03:00:00.000Z");
    second.close();
  });

  it("warns loudly before it is full and refuses, never drops, when full", () => {
    const box = new Outbox(join(dir.path, "o.db"), 5, log, 4);
    for (let i = 0; i < 5; i++) expect(box.enqueue("t", screening())).toBe(true);
    expect(warnings.join()).toMatch(/nearly full/);
    expect(box.enqueue("t", screening())).toBe(false);
    expect(warnings.join()).toMatch(/FULL/);
    expect(box.depth).toBe(5);
    box.close();
  });
});
