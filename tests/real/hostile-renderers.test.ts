// The renderers fed hostile strings directly, past the schema, property-style (fast-check): each
// refuses the string, or what it renders is read back unchanged by the program that reads it, and
// nothing runs (tests/hostileInput.ts).
import * as assert from "assert";
import fc from "fast-check";
import * as fs from "fs";
import { parseDocument } from "yaml";
import { renderEnvFile } from "../../components/appEnvironment";
import { renderRuleset } from "../../components/firewall/ruleset";
import { renderFirewallUnit } from "../../components/firewall/steps";
import { renderRules, renderRuleTests } from "../../components/prometheus/rules";
import { placePrometheusFilesScript } from "../../components/prometheus/steps";
import { renderRenewalService } from "../../components/tls/renewal";
import { generateTlsScript } from "../../components/tls/steps";
import { canonicalCidr } from "../../grammar/cidr";
import { canary, hostileRuns, leaves, near, networks, readEnvFile, scratchWithCurl } from "../hostileInput";
import { ensureToolchain, inTempDir, run, Tools } from "../tools";

describe("renderers fed hostile strings past the schema: refused, or safe", function () {
    this.timeout(300_000);
    const refused = (error: unknown) =>
        error instanceof Error && /^refusing to render .* is outside its grammar$/s.test(error.message);
    const counts = { rendered: 0, refused: 0 };
    /** Runs the renderer: a refusal passes; anything rendered goes to `check`. */
    const refusedOr = <T>(render: () => T, check: (rendered: T) => void) => {
        let rendered: T;
        try {
            rendered = render();
        } catch (error) {
            assert.ok(refused(error), String(error));
            counts.refused++;
            return;
        }
        counts.rendered++;
        check(rendered);
    };
    beforeEach(() => Object.assign(counts, { rendered: 0, refused: 0 }));
    // Both outcomes were exercised by every property.
    afterEach(function () {
        if (this.currentTest?.state !== "passed") return;
        console.log(`      ${counts.rendered} rendered, ${counts.refused} refused`);
        assert.ok(counts.rendered > 0 && counts.refused > 0, JSON.stringify(counts));
    });
    let tools: Tools;
    before(() => {
        tools = ensureToolchain();
        fs.rmSync(canary, { force: true });
    });
    afterEach(() => assert.ok(!fs.existsSync(canary), `a hostile string ran a command: ${canary} exists`));

    it("env file: a value is refused, or both a shell and podman read it unchanged", () => {
        inTempDir("hostile-env", (dir) => {
            fc.assert(
                fc.property(near("1.8.0"), (value) =>
                    refusedOr(
                        () => renderEnvFile({ IVATAR_VERSION: value, OTEL_ENABLED: "true" }),
                        (text) => {
                            fs.writeFileSync(`${dir}/app.env`, text);
                            const env = readEnvFile(`${dir}/app.env`);
                            assert.deepStrictEqual(
                                [env.sourced.IVATAR_VERSION, env.split.IVATAR_VERSION, env.sourced.OTEL_ENABLED],
                                [value, value, "true"],
                            );
                            assert.deepStrictEqual(Object.keys(env.split), ["IVATAR_VERSION", "OTEL_ENABLED"]);
                        },
                    ),
                ),
                hostileRuns(200),
            );
        });
    });

    it("TLS step: a certificate name or directory is refused, or the script runs in its directory and issues exactly that name", () => {
        inTempDir("hostile-tls", (dir) => {
            fc.assert(
                fc.property(fc.oneof(near("collector.internal"), near("10.1.2.3")), near("ls"), (name, sub) =>
                    refusedOr(
                        () =>
                            generateTlsScript({
                                dir: `${dir}/t${sub}`,
                                caDir: `${dir}/ca`,
                                owner: "0:0",
                                serverNames: [name],
                            }),
                        (script) => {
                            const issued = run("sh", ["-s"], { input: script });
                            assert.strictEqual(issued.status, 0, issued.stderr);
                            const text = run("openssl", [
                                "x509",
                                "-noout",
                                "-ext",
                                "subjectAltName",
                                "-in",
                                `${dir}/t${sub}/server.crt`,
                            ]).stdout;
                            assert.match(
                                text,
                                new RegExp(
                                    `(DNS|IP Address):${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\s|$)`,
                                    "i",
                                ),
                            );
                            fs.rmSync(`${dir}/t${sub}`, { recursive: true, force: true });
                        },
                    ),
                ),
                hostileRuns(150),
            );
        });
    });

    it("systemd units: a path is refused, or the unit verifies and runs exactly that path", () => {
        inTempDir("hostile-unit", (dir) => {
            fc.assert(
                fc.property(near("firewall.nft"), (sub) => {
                    const target = `/etc/ivatar-otel/${sub}`;
                    for (const [unit, render] of [
                        ["f.service", renderFirewallUnit],
                        ["r.service", renderRenewalService],
                    ] as const) {
                        refusedOr(
                            () => render(target),
                            (text) => {
                                fs.writeFileSync(`${dir}/${unit}`, text);
                                const verify = run("systemd-analyze", ["verify", `${dir}/${unit}`]);
                                assert.deepStrictEqual([verify.status, verify.stderr], [0, ""], text);
                                assert.ok(
                                    text
                                        .split("\n")
                                        .some(
                                            (l) =>
                                                l.startsWith("ExecStart=") &&
                                                l.split(" ").some((w) => w === target || w === `${target}/renew.sh`),
                                        ),
                                    text,
                                );
                            },
                        );
                    }
                }),
                hostileRuns(60),
            );
        });
    });

    it("alert rules: a runbook base is refused, or Prometheus's template engine leaves each link as written", () => {
        inTempDir("hostile-rules", (dir) => {
            fc.assert(
                fc.property(fc.oneof(near("https://wiki.internal/runbook"), near("docs/runbook.md")), (base) => {
                    const settings = { environment: "production", cpus: 4, memoryMb: 8192, runbookBaseUrl: base };
                    refusedOr(
                        () => renderRules(settings),
                        (text) => {
                            fs.writeFileSync(`${dir}/rules.yml`, text);
                            fs.writeFileSync(`${dir}/tests.yml`, renderRuleTests(settings, "rules.yml"));
                            const tested = run(tools.promtool, ["test", "rules", "tests.yml"], { cwd: dir });
                            assert.strictEqual(tested.status, 0, tested.stdout + tested.stderr);
                            const links = leaves(parseDocument(text).toJS()).filter((l) =>
                                l.includes("#otelcollector"),
                            );
                            assert.ok(
                                links.length > 0 && links.every((l) => l.startsWith(`${base}#`)),
                                JSON.stringify(links),
                            );
                        },
                    );
                }),
                hostileRuns(60),
            );
        });
    });

    it("nftables ruleset: a network is refused, or nft accepts the table with exactly that network", () => {
        const network = fc.oneof(near("10.10.1.0/24"), networks);
        inTempDir("hostile-nft", (dir) => {
            fc.assert(
                fc.property(network, (cidr) =>
                    refusedOr(
                        () =>
                            renderRuleset({
                                classes: [{ name: "ingest", purpose: "OTLP", ports: [4317], networks: [cidr] }],
                            }),
                        (text) => {
                            fs.writeFileSync(`${dir}/r.nft`, text);
                            const checked = run("nft", ["-c", "-f", `${dir}/r.nft`]);
                            assert.strictEqual(checked.status, 0, checked.stderr);
                            assert.ok(text.includes(`elements = { ${canonicalCidr(cidr)} }`), text);
                        },
                    ),
                ),
                hostileRuns(150),
            );
        });
    });

    it("Prometheus step: a path or reload URL is refused, or the files land exactly there and curl gets exactly that URL", () => {
        fc.assert(
            fc.property(
                near("otel.yml"),
                fc.oneof(near("http://localhost:9090/-/reload"), fc.constant("")),
                (sub, url) => {
                    const scratch = scratchWithCurl();
                    try {
                        const rulesPath = `${scratch.dir}/rules/${sub}`;
                        refusedOr(
                            () =>
                                placePrometheusFilesScript({
                                    rulesPath,
                                    scrapePath: `${scratch.dir}/scrape.yml`,
                                    rules: "groups: []\n",
                                    scrape: "x: 1\n",
                                    reloadUrl: url,
                                }),
                            (script) => {
                                const placed = run("sh", ["-s"], { input: script, env: scratch.env });
                                assert.strictEqual(placed.status, 0, placed.stderr);
                                assert.strictEqual(fs.readFileSync(rulesPath, "utf8"), "groups: []\n");
                                if (url) assert.strictEqual(scratch.curlArgs().at(-1), url);
                            },
                        );
                    } finally {
                        fs.rmSync(scratch.dir, { recursive: true, force: true });
                    }
                },
            ),
            hostileRuns(100),
        );
    });
});
