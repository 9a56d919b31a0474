/**
 * aedes's memory persistence, with retained messages found by topic instead of by scan.
 *
 * aedes-persistence 11 answers every SUBSCRIBE, even to an exact topic, by testing every retained
 * message against the filter. Here every device retains its status and the gateway retains every
 * device's config, so with 10,000 lanes each subscribe tests 20,000 messages, and a fleet
 * reconnecting after a gateway restart costs O(n²): bench:reconnect measured two thirds of the
 * gateway's CPU there. An exact filter (no `+` or `#`) can match only the message retained on
 * that very topic, so this keeps an index by topic beside the store and answers exact filters from
 * it; wildcard filters (operators' dashboards) still go to the store's scan.
 */
import { createRequire } from "node:module";
import { Readable } from "node:stream";

// A CommonJS module whose typings declare an ES default export: loaded as what it is.
const memory = createRequire(import.meta.url)("aedes-persistence") as () => object;

interface RetainedPacket {
  topic: string;
  payload: Buffer | string;
}

interface RetainedStore {
  storeRetained(packet: RetainedPacket, cb?: (error?: Error | null) => void): unknown;
  createRetainedStreamCombi(patterns: string[]): Readable;
}

function isExact(filter: string): boolean {
  return !filter.includes("+") && !filter.includes("#");
}

export function retainedIndexedPersistence(): object {
  const persistence = memory();
  const store = persistence as unknown as RetainedStore;
  const byTopic = new Map<string, RetainedPacket>();
  const storeRetained = store.storeRetained.bind(store);
  const scan = store.createRetainedStreamCombi.bind(store);
  store.storeRetained = (packet, cb) => {
    if (packet.payload.length === 0) byTopic.delete(packet.topic);
    else byTopic.set(packet.topic, { ...packet });
    return storeRetained(packet, cb);
  };
  store.createRetainedStreamCombi = (patterns) => {
    const exact = patterns.filter(isExact);
    const wild = patterns.filter((p) => !isExact(p));
    const hits = exact.flatMap((topic) => {
      const packet = byTopic.get(topic);
      return packet ? [packet] : [];
    });
    if (wild.length === 0) return Readable.from(hits);
    return Readable.from(
      (async function* () {
        yield* hits;
        for await (const packet of scan(wild)) yield packet as RetainedPacket;
      })(),
    );
  };
  return persistence;
}
