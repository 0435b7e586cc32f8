// Properties of the pure pieces, over generated input (fast-check), each against an oracle
// that does not share its code: Node's BlockList for networks, the shell itself for quoting,
// the container specs for the firewall. HOSTILE_SEED replays a failure, HOSTILE_RUNS_SCALE
// runs more cases.
import * as assert from "assert";
import { execFileSync } from "child_process";
import fc from "fast-check";
import { BlockList, isIPv4 } from "net";
import { canonicalCidr, isCidr } from "../grammar/cidr";
import { shQuote } from "../components/host/scripts";
import { withDefaults } from "../config/defaults";
import { readStackValues, validateStack } from "../config/load";
import { isPlainObject, Plain, valueAt } from "../config/keyPaths";
import { stackConfig } from "../config/stackFile";
import { stackArtifacts } from "../stack/files";
import { planStack } from "../stack/plan";
import { hostileRuns } from "./hostileInput";

const ipv4 = (n: number) => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join(".");
const v4Network = fc.tuple(fc.nat({ max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 })).map(([n, prefix]) => ({
    address: n,
    prefix,
    network: prefix === 0 ? 0 : ((n >>> (32 - prefix)) << (32 - prefix)) >>> 0,
}));

describe("properties: networks in CIDR form", () => {
    it("an IPv4 network is accepted exactly when no host bits are set, and covers its own addresses", () => {
        fc.assert(
            fc.property(v4Network, ({ address, prefix, network }) => {
                assert.strictEqual(isCidr(`${ipv4(address)}/${prefix}`), address === network);
                assert.ok(isCidr(`${ipv4(network)}/${prefix}`));
                const list = new BlockList();
                list.addSubnet(ipv4(network), prefix, "ipv4");
                assert.ok(list.check(ipv4(address), "ipv4"), "the network covers the address it was made from");
            }),
            hostileRuns(300),
        );
    });

    it("a prefix length with a leading zero, a sign or past the family's width is refused", () => {
        fc.assert(
            fc.property(v4Network, fc.constantFrom("0", "+", "-", " "), ({ network, prefix }, junk) => {
                assert.ok(!isCidr(`${ipv4(network)}/${junk}${prefix}`));
                assert.ok(!isCidr(`${ipv4(network)}/${33 + prefix}`));
            }),
            hostileRuns(100),
        );
    });

    it("the canonical IPv6 form is accepted, is a fixed point, and names the same network", () => {
        const groups = fc.array(fc.nat({ max: 0xffff }), { minLength: 8, maxLength: 8 });
        fc.assert(
            fc.property(groups, fc.integer({ min: 0, max: 128 }), fc.ipV6(), (words, prefix, probe) => {
                // Clear the host bits, then write the address in full, eight groups.
                const bits = words.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n);
                const network = prefix === 0 ? 0n : (bits >> BigInt(128 - prefix)) << BigInt(128 - prefix);
                const full = Array.from({ length: 8 }, (_, i) =>
                    ((network >> BigInt(112 - 16 * i)) & 0xffffn).toString(16),
                ).join(":");
                const written = `${full}/${prefix}`;
                assert.ok(isCidr(written), written);
                const canonical = canonicalCidr(written);
                assert.ok(isCidr(canonical), canonical);
                assert.strictEqual(canonicalCidr(canonical), canonical);
                const [a, b] = [new BlockList(), new BlockList()];
                a.addSubnet(full, prefix, "ipv6");
                b.addSubnet(canonical.split("/")[0], prefix, "ipv6");
                for (const address of [full, probe])
                    assert.strictEqual(
                        a.check(address, "ipv6"),
                        b.check(address, "ipv6"),
                        `${address} in ${written} vs ${canonical}`,
                    );
            }),
            hostileRuns(300),
        );
    });
});

describe("properties: shell quoting", () => {
    it("sh reads back exactly the quoted string", () => {
        const text = fc.string({ unit: "grapheme", maxLength: 30 }).filter((s) => !s.includes("\0"));
        const awkward = fc
            .array(fc.constantFrom("'", '"', "\\", "$(x)", "`x`", "\n", " ", "*", "$HOME", "'\\''"), { maxLength: 6 })
            .map((p) => p.join(""));
        fc.assert(
            fc.property(fc.oneof(text, awkward), (value) => {
                const out = execFileSync("sh", ["-c", `printf %s ${shQuote(value)}`]);
                assert.ok(
                    out.equals(Buffer.from(value)),
                    `${JSON.stringify(value)} came back as ${JSON.stringify(out.toString())}`,
                );
            }),
            hostileRuns(150),
        );
    });
});

/** Every leaf of a plain object, by dotted path, without entering lists or whole-replaced hosts. */
function leaves(value: Plain, prefix = ""): [string, unknown][] {
    return Object.entries(value).flatMap(([key, v]) => {
        const path = prefix ? `${prefix}.${key}` : key;
        return isPlainObject(v) && !["collectorHost", "prometheus.host"].includes(path)
            ? leaves(v, path)
            : [[path, v] as [string, unknown]];
    });
}

function nested(entries: [string, unknown][]): Plain {
    const root: Plain = {};
    for (const [path, value] of entries) {
        const parts = path.split(".");
        let node = root;
        for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Plain;
        node[parts[parts.length - 1]] = value;
    }
    return root;
}

describe("properties: defaults merge", () => {
    for (const environment of ["production", "development", "local"]) {
        it(`${environment}: a stack value replaces its default, and every other default stays`, () => {
            const defaults = leaves(withDefaults({ environment }));
            const overrides = fc
                .subarray(
                    defaults.filter(([path]) => path !== "environment"),
                    { minLength: 1 },
                )
                .chain((picked) =>
                    fc.tuple(
                        ...picked.map(([path]) =>
                            fc
                                .oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(["10.0.0.0/8"]))
                                .map((value) => [path, value] as [string, unknown]),
                        ),
                    ),
                );
            fc.assert(
                fc.property(overrides, (set) => {
                    const merged = withDefaults({ environment, ...nested(set) });
                    const overridden = new Map(set);
                    for (const [path, value] of defaults) {
                        assert.deepStrictEqual(
                            valueAt(merged, path),
                            overridden.has(path) ? overridden.get(path) : value,
                            path,
                        );
                    }
                }),
                hostileRuns(100),
            );
        });
    }
});

describe("properties: the firewall covers every published port", () => {
    it("every port a container publishes is dropped for IPv4 and IPv6 sources outside its trusted networks, before DNAT and at input", () => {
        const production = readStackValues(stackConfig("production"));
        const ports = fc.uniqueArray(fc.integer({ min: 1024, max: 65535 }), { minLength: 7, maxLength: 7 });
        fc.assert(
            fc.property(
                ports,
                v4Network.filter((n) => n.prefix > 0),
                ([otlpGrpc, otlpHttp, prometheusExporter, health, internalMetrics, uiPort, metricsPort], net) => {
                    const values = {
                        ...production,
                        collector: {
                            ...(production.collector as Plain),
                            ports: { otlpGrpc, otlpHttp, prometheusExporter, health, internalMetrics },
                        },
                        jaeger: { ...(production.jaeger as Plain), uiPort, metricsPort },
                        trustedNetworks: {
                            ingest: [`${ipv4(net.network)}/${net.prefix}`],
                            metrics: ["fd00::/64"],
                            admin: ["10.0.0.0/8"],
                        },
                    };
                    const plan = planStack(validateStack(values));
                    const { files, containers } = stackArtifacts(plan, { bearerToken: "t", canaryKey: "c" });
                    const ruleset = files["firewall/ruleset.nft"];
                    const chain = (name: string) => {
                        const start = ruleset.indexOf(`chain ${name} {`);
                        return ruleset.slice(start, ruleset.indexOf("\n    }\n", start));
                    };
                    const published = [containers.collector, containers.jaeger].flatMap((c) =>
                        c.ports.map((p) => p.external),
                    );
                    assert.strictEqual(published.length, 7);
                    for (const name of ["prerouting", "input"]) {
                        const drops = chain(name)
                            .split("\n")
                            .filter((line) => line.includes(" drop "));
                        for (const port of published) {
                            for (const family of ["ip", "ip6"]) {
                                const covering = drops.filter((line) =>
                                    new RegExp(
                                        `dport (\\{[^}]*\\b${port}\\b[^}]*\\}|${port}) ${family} saddr != @\\w+_v${family === "ip" ? 4 : 6} drop`,
                                    ).test(line),
                                );
                                assert.strictEqual(
                                    covering.length,
                                    1,
                                    `${name}: port ${port} for ${family}:\n${drops.join("\n")}`,
                                );
                            }
                        }
                    }
                    // Each set holds exactly its class's networks of that family.
                    for (const c of plan.collectorHosts[0].firewall.classes) {
                        for (const [family, want] of [
                            ["v4", c.networks.filter((n) => isIPv4(n.split("/")[0]))],
                            ["v6", c.networks.filter((n) => !isIPv4(n.split("/")[0]))],
                        ] as const) {
                            const line = ruleset.split("\n").find((l) => l.includes(`set ${c.name}_${family} `)) ?? "";
                            const elements = /elements = \{ ([^}]*) \}/.exec(line)?.[1].split(", ") ?? [];
                            assert.deepStrictEqual(elements, want.map(canonicalCidr), line);
                        }
                    }
                },
            ),
            hostileRuns(100),
        );
    });
});
