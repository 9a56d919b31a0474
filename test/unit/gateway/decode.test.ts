import { describe, expect, it } from "vitest";
import { decodeDeviceMessage, MAX_PAYLOAD_BYTES } from "../../../gateway/ingest/decode.ts";
import { screening } from "../../support/events.ts";

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe("decoding a device message", () => {
  it("returns the typed screening event", () => {
    const event = screening();
    const r = decodeDeviceMessage("screening", "hw-01", "lane-1", json(event));
    expect(r).toEqual({ ok: true, channel: "screening", value: event });
  });

  it("takes how a lane identified the person, and no entry from an older lane", () => {
    for (const entry of ["code", "card", "keypad"] as const) {
      const event = screening({ entry });
      expect(decodeDeviceMessage("screening", "hw-01", "lane-1", json(event))).toEqual({
        ok: true,
        channel: "screening",
        value: event,
      });
    }
    const { entry: _none, ...old } = screening();
    expect(decodeDeviceMessage("screening", "hw-01", "lane-1", json(old)).ok).toBe(true);
  });

  it("refuses a lane that says it is the console's desk, or an entry the contract has not", () => {
    const desk = decodeDeviceMessage("screening", "hw-01", "lane-1", json(screening({ entry: "desk" })));
    expect(desk).toEqual({
      ok: false,
      reason: "schema",
      errors: ["/entry: desk is the duty console's; a lane sends code, card or keypad"],
    });
    const other = decodeDeviceMessage(
      "screening",
      "hw-01",
      "lane-1",
      json({ ...screening(), entry: "phone" }),
    );
    expect(other.ok === false && other.reason).toBe("schema");
  });

  it("rejects bad JSON, including NaN, which JSON cannot carry", () => {
    expect(decodeDeviceMessage("screening", "hw-01", "lane-1", Buffer.from("{oops")).ok).toBe(false);
    const nan = Buffer.from(JSON.stringify(screening()).replace(/"body_c":[0-9.]+/, '"body_c":NaN'));
    const r = decodeDeviceMessage("screening", "hw-01", "lane-1", nan);
    expect(r.ok === false && r.reason).toBe("json");
  });

  it("rejects an unknown contract version as 'version', not as a schema error", () => {
    const r = decodeDeviceMessage("screening", "hw-01", "lane-1", json({ ...screening(), v: 7 }));
    expect(r.ok === false && r.reason).toBe("version");
  });

  it("rejects wrong types as 'schema' with the path", () => {
    const r = decodeDeviceMessage("screening", "hw-01", "lane-1", json({ ...screening(), attempt: "1" }));
    expect(r.ok === false && r.reason).toBe("schema");
    expect(r.ok === false && r.errors[0]).toMatch(/^attempt:/);
  });

  it("rejects a payload larger than the limit before parsing it", () => {
    const huge = Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20);
    const r = decodeDeviceMessage("screening", "hw-01", "lane-1", huge);
    expect(r.ok === false && r.reason).toBe("too-large");
  });

  it("rejects an event whose station or device differs from its topic", () => {
    const r = decodeDeviceMessage("screening", "hw-01", "lane-2", json(screening()));
    expect(r.ok === false && r.reason).toBe("mismatch");
  });

  it("rejects a publish on the config channel, which belongs to the gateway", () => {
    const r = decodeDeviceMessage("config", "hw-01", "lane-1", json({}));
    expect(r.ok === false && r.reason).toBe("topic");
  });

  it("accepts the last will's bare offline status", () => {
    const r = decodeDeviceMessage("status", "hw-01", "lane-1", Buffer.from('{"state":"offline"}'));
    expect(r).toEqual({ ok: true, channel: "status", value: { state: "offline" } });
  });
});
