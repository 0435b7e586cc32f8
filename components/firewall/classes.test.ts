import * as assert from "assert";
import { portClasses } from "./classes";

describe("portClasses: which ports open to whom", () => {
    const networks = {
        ingest: ["10.0.1.0/24"],
        metrics: ["10.0.2.5/32"],
        admin: ["10.0.4.0/24"],
        collectors: ["10.0.3.0/24"],
    };

    it("gives each group of published ports its own trusted networks", () => {
        const classes = portClasses(
            { ingest: [4317, 4318], metrics: [9464], health: [13133], admin: [16686], tier: [4319] },
            networks,
        );
        assert.deepStrictEqual(
            classes.map((c) => [c.name, c.ports, c.networks]),
            [
                ["ingest", [4317, 4318], ["10.0.1.0/24"]],
                ["metrics", [9464], ["10.0.2.5/32"]],
                // Prometheus and operators alike: the deploy check reads it from the operators' side.
                ["health", [13133], ["10.0.2.5/32", "10.0.4.0/24"]],
                ["admin", [16686], ["10.0.4.0/24"]],
                ["tier", [4319], ["10.0.3.0/24"]],
            ],
        );
    });

    it("opens nothing for a group the host does not publish (no Jaeger UI off the first host, no tier on one host)", () => {
        const classes = portClasses({ ingest: [4317], metrics: [9464], health: [], admin: [], tier: [] }, networks);
        assert.deepStrictEqual(
            classes.map((c) => c.name),
            ["ingest", "metrics"],
        );
    });
});
