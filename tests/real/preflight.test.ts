// The host preflight, run as the program runs it (as root, the script on stdin) against this
// machine's real Podman: a host set up by the toolchain passes; a host whose Podman uses the CNI
// backend (no name resolution) or lacks a tool is refused with one message naming the fix.
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { preflightScript } from "../../components/host/preflight";
import { planFor } from "../../stack/plan";
import { stackNames } from "../harness";
import { ensureToolchain, run, runAsync, tempDir } from "../tools";

const development = () => planFor("development");

describe("live: host preflight against this machine's Podman", () => {
    let dir: string;
    before(() => {
        ensureToolchain();
        dir = tempDir("preflight");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const stack of stackNames) {
        it(`passes for both hosts of Pulumi.${stack}.yaml on a host the toolchain set up`, () => {
            const plan = planFor(stack);
            // Room for the volumes is checked below: test machines' disks vary, production's take 45 GiB.
            const collector = { ...plan.collectorHosts[0].requirements, volumeRoom: undefined };
            // Nothing is deployed here and this machine has no Grafana: the scrape targets, the running
            // Prometheus and Grafana's directories are checked below and on booted hosts
            // (tests/engine/hosts.test.ts), not against this machine.
            const prometheus = {
                ...plan.hosts.prometheus.requirements,
                reaches: undefined,
                prometheusReads: undefined,
                directories: undefined,
            };
            for (const requirements of [collector, prometheus]) {
                // The SSH stacks' docker provider needs a docker command; this machine has the Docker CLI.
                const result = run("sh", ["-s"], { input: preflightScript(requirements) });
                assert.strictEqual(result.status, 0, result.stderr);
                if (requirements.podman)
                    assert.match(
                        result.stdout,
                        /^preflight: ok \(podman \d+\.\d+\.\d+, netavark, SELinux (not installed|Enforcing|Permissive|Disabled)\)$/m,
                    );
            }
        });
    }

    it("refuses volumes larger than the disk under Podman's volumes, naming the keys; passes ones that fit", () => {
        const collector = development().collectorHosts[0].requirements;
        const room = collector.volumeRoom;
        assert.ok(room, "the collector host checks room for its queue");
        const tooBig = preflightScript({ ...collector, volumeRoom: { ...room, bytes: 2 ** 60 } });
        const refused = run("sh", ["-s"], { input: tooBig });
        assert.strictEqual(refused.status, 1, refused.stdout);
        assert.match(
            refused.stderr,
            /GiB free, and volumes ivatar-otel-collector-queue and ivatar-otel-jaeger-data may take 1073741824\.0 GiB on disk \(collector\.queueDiskGiB and jaeger\.storeDiskGiB\): free the space or lower collector\.queueDiskGiB or jaeger\.storeDiskGiB/,
        );
        const fits = run("sh", ["-s"], {
            input: preflightScript({ ...collector, volumeRoom: { ...room, bytes: 2 ** 20 } }),
        });
        assert.strictEqual(fits.status, 0, fits.stderr);
    });

    it("refuses scrape targets that do not resolve or do not answer, naming each and its job; passes one that answers", async () => {
        const target = http.createServer((_, response) => response.end("up 1\n"));
        await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
        try {
            const port = (target.address() as AddressInfo).port;
            const prometheus = {
                ...planFor("production").hosts.prometheus.requirements,
                prometheusReads: undefined,
                directories: undefined,
            };
            const job = (name: string) => `Prometheus's scrape job ${name}`;
            const answering = {
                host: "localhost",
                url: `http://localhost:${port}/metrics`,
                neededFor: job("answering"),
            };
            const refused = await runAsync("sh", ["-s"], {
                input: preflightScript({
                    ...prometheus,
                    reaches: [
                        {
                            host: "nowhere.ivotel.invalid",
                            url: "http://nowhere.ivotel.invalid:9464/metrics",
                            neededFor: job("a"),
                        },
                        { host: "localhost", url: "http://localhost:1/metrics", neededFor: job("b") },
                        answering,
                    ],
                }),
            });
            assert.strictEqual(refused.status, 1, refused.stdout);
            assert.match(
                refused.stderr,
                /nowhere\.ivotel\.invalid does not resolve here \(Prometheus's scrape job a\): add it to DNS or \/etc\/hosts/,
            );
            assert.match(
                refused.stderr,
                /http:\/\/localhost:1\/metrics does not answer from here \(Prometheus's scrape job b\)/,
            );
            assert.doesNotMatch(refused.stderr, /scrape job answering/);
            const passes = await runAsync("sh", ["-s"], {
                input: preflightScript({ ...prometheus, reaches: [answering] }),
            });
            assert.strictEqual(passes.status, 0, passes.stderr);
        } finally {
            target.close();
        }
        // A target that refuses connections is given 30 s to start answering.
    }).timeout(120_000);

    it("refuses a host whose Podman uses the CNI backend, naming the backend and the fix", () => {
        const conf = path.join(dir, "cni.conf");
        fs.writeFileSync(conf, '[network]\nnetwork_backend = "cni"\n\n[engine]\nruntime = "runc"\n');
        const result = run("sh", ["-s"], {
            input: preflightScript(development().collectorHosts[0].requirements),
            env: { ...process.env, CONTAINERS_CONF: conf },
        });
        assert.strictEqual(result.status, 1);
        assert.match(result.stderr, /nothing was placed; fix these first:/);
        assert.match(result.stderr, /Podman's network backend is cni, which does not resolve container names/);
        assert.match(result.stderr, /install netavark and aardvark-dns/);
        assert.strictEqual(result.stdout, "", "no success line");
    });

    it("refuses a host without nft while the firewall is on, naming every missing piece at once", () => {
        const conf = path.join(dir, "cni.conf");
        const result = run("sh", ["-s"], {
            input: preflightScript(development().collectorHosts[0].requirements),
            env: { ...process.env, CONTAINERS_CONF: conf, PATH: "/usr/bin:/bin" },
        });
        assert.strictEqual(result.status, 1);
        assert.match(result.stderr, /nft is not installed \(needed for the firewall table\)/);
        assert.match(result.stderr, /network backend is cni/, "both problems in one message");
    });
});
