// The Jaeger config renderer (Jaeger's own binary checks the file in tests/real/artifacts.test.ts).
import * as assert from "assert";
import { jaegerConfig } from "./jaeger";

describe("Jaeger config renderer", () => {
    it("keeps spans for the configured retention on a persistent badger store", () => {
        const config = jaegerConfig({ traceRetention: "72h", storage: { backend: "badger" } }) as {
            extensions: {
                jaeger_storage: { backends: { traces: { badger: { ephemeral: boolean; ttl: { spans: string } } } } };
            };
        };
        const badger = config.extensions.jaeger_storage.backends.traces.badger;
        assert.deepStrictEqual([badger.ephemeral, badger.ttl.spans], [false, "72h"]);
    });
});
