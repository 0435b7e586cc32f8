// Live: the retention on a search cluster, as the OpenSearch example renders it. No cluster runs
// here, so a small HTTPS server answers the two requests Jaeger's index cleaner makes (list the
// prefix's indices, delete some); the cleaner itself is the real one, in its pinned image, run
// by the command line of the rendered systemd service with the files the retention step wrote.
import * as assert from "assert";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import {
    placeRetentionScript,
    removeRetentionScript,
    renderRetentionService,
    RetentionSettings,
} from "../../components/jaeger/retention";
import { generateTlsScript, removeTlsScript } from "../../components/tls/steps";
import { planFor } from "../../stack/plan";
import { ensureToolchain, runAsync, runOk, run, tempDir } from "../tools";

/** The podman arguments of the rendered service's ExecStart. */
function serviceCommand(settings: RetentionSettings): { program: string; args: string[] } {
    const [program, ...args] = (/^ExecStart=(.*)$/m.exec(renderRetentionService(settings))?.[1] ?? "").split(" ");
    return { program, args };
}

const user = "jaeger-retention-test";
const password = "s3arch-Pa55w0rd!";

/** An index of each kind for each of the last `days` days, created at noon of its day. */
function indicesOver(
    prefix: string,
    days: number,
): Record<string, { aliases: Record<string, unknown>; settings: Record<string, string> }> {
    const out: Record<string, { aliases: Record<string, unknown>; settings: Record<string, string> }> = {};
    for (let ago = 0; ago < days; ago++) {
        const noon = new Date();
        noon.setUTCHours(12, 0, 0, 0);
        noon.setUTCDate(noon.getUTCDate() - ago);
        const day = noon.toISOString().slice(0, 10);
        for (const kind of ["span", "service"]) {
            out[`${prefix}-jaeger-${kind}-${day}`] = {
                aliases: {},
                settings: { "index.creation_date": String(noon.getTime()) },
            };
        }
    }
    return out;
}

describe("live: Jaeger's index retention on a search cluster", function () {
    this.timeout(300_000);
    let dir: string;
    let settings: RetentionSettings;
    let server: https.Server;
    const requests: { method: string; url: string; authorized: boolean }[] = [];
    let tls: { dir: string; caDir: string; owner: string; serverNames: string[] };

    before(async () => {
        ensureToolchain();
        dir = tempDir("retention");
        const planned = planFor("opensearch").jaeger.retention;
        if (!planned) throw new Error("the OpenSearch example plans no retention");
        // The cleaner's container reaches this machine at its Podman network's gateway.
        const gateway = runOk("podman", [
            "network",
            "inspect",
            "podman",
            "--format",
            "{{range .Subnets}}{{.Gateway}}{{end}}",
        ]).trim();
        tls = { dir: path.join(dir, "tls"), caDir: path.join(dir, "ca"), owner: "0:0", serverNames: [gateway] };
        const ca = runOk("sh", ["-s"], { input: generateTlsScript(tls) });
        const indices = indicesOver(planned.indexPrefix, 12);
        const expectedAuth = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
        server = https.createServer(
            {
                cert: fs.readFileSync(path.join(tls.dir, "server.crt")),
                key: fs.readFileSync(path.join(tls.dir, "server.key")),
            },
            (req, res) => {
                const authorized = req.headers.authorization === expectedAuth;
                requests.push({ method: req.method ?? "", url: req.url ?? "", authorized });
                if (!authorized) return void res.writeHead(401).end();
                res.setHeader("content-type", "application/json");
                if (req.method === "GET" && req.url?.startsWith(`/${planned.indexPrefix}-jaeger-*`))
                    return void res.end(JSON.stringify(indices));
                if (req.method === "DELETE") return void res.end('{"acknowledged":true}');
                res.writeHead(404).end("{}");
            },
        );
        await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
        const port = (server.address() as { port: number }).port;
        settings = {
            ...planned,
            server: `https://${gateway}:${port}`,
            username: user,
            caCertificate: ca,
            dir: path.join(dir, "retention"),
        };
        runOk("sh", ["-s"], { input: placeRetentionScript(settings, password) });
    });
    after(() => {
        server?.close();
        if (settings) run("sh", ["-s"], { input: removeRetentionScript(settings) });
        if (tls) run("sh", ["-s"], { input: removeTlsScript(tls) });
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("the service's command deletes exactly the days past the retention, with the user's credentials over the cluster's CA", async () => {
        const { program, args } = serviceCommand(settings);
        assert.strictEqual(program, "/usr/bin/podman");
        // Without blocking this process, which serves the cluster's answers meanwhile.
        const result = await runAsync(program, args);
        assert.strictEqual(result.status, 0, result.stdout + result.stderr);
        assert.ok(requests.length >= 2 && requests.every((r) => r.authorized), JSON.stringify(requests));
        const deleted = requests
            .filter((r) => r.method === "DELETE")
            .flatMap((r) => decodeURIComponent(r.url.slice(1).split("?")[0]).split(","))
            .filter((i) => i !== "")
            .sort();
        // Kept: today and the six days before it (7 days); deleted: every index created before.
        const expected = Object.keys(indicesOver(settings.indexPrefix, 12))
            .filter((name) => {
                const ago = Math.round(
                    (Date.parse(new Date().toISOString().slice(0, 10)) - Date.parse(name.slice(-10))) / 86_400_000,
                );
                return ago >= settings.days;
            })
            .sort();
        assert.strictEqual(settings.days, 7);
        assert.deepStrictEqual(deleted, expected);
    });

    it("a wrong password deletes nothing", async () => {
        const before = requests.length;
        const envFile = path.join(settings.dir, "cleaner.env");
        const original = fs.readFileSync(envFile, "utf8");
        try {
            fs.writeFileSync(envFile, original.replace(`ES_PASSWORD=${password}`, "ES_PASSWORD=wrong-password"));
            const { program, args } = serviceCommand(settings);
            assert.notStrictEqual((await runAsync(program, args)).status, 0, "the cleaner reports the refusal");
            assert.ok(requests.slice(before).every((r) => r.method !== "DELETE"));
        } finally {
            fs.writeFileSync(envFile, original);
        }
    });
});
