// The firewall table outlives whatever flushes the ruleset, proven under a real systemd: this
// machine's own systemd and nftables (its /usr, a copy of its /etc with no unit enabled) booted
// as PID 1 in a Podman container with its own network namespace. The program's firewall step
// runs there as on a host; then nftables.service is reloaded, restarted, stopped and started
// (Debian's /etc/nftables.conf begins with `flush ruleset`), and the ruleset is flushed by hand.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { firewallTable, renderRuleset } from "../../components/firewall/ruleset";
import { applyFirewallScript, firewallCheck, firewallUnit, removeFirewallScript } from "../../components/firewall/steps";
import { removeContainer } from "../podman";
import { ensureToolchain, run, runOk, tempDir, waitFor } from "../tools";

const container = `ivatar-otel-systemd-${process.pid}`;
const rulesetPath = "/etc/ivatar-otel/firewall.nft";
const ruleset = renderRuleset({ classes: [{ name: "ingest", purpose: "OTLP from the app networks", ports: [4317, 4318], networks: ["10.10.1.0/24"] }] });

/** Runs a command in the container (a script on stdin when `input` is given). */
const inside = (args: string[], input?: string) => run("podman", ["exec", ...(input === undefined ? [] : ["-i"]), container, ...args], { input });
const tableLoaded = () => inside(["nft", "list", "table", "inet", firewallTable]).status === 0;
const systemctl = (...args: string[]) => {
    const result = inside(["systemctl", ...args]);
    assert.strictEqual(result.status, 0, `systemctl ${args.join(" ")}: ${result.stderr}`);
    return result.stdout.trim();
};

/** A root file system of this machine's /usr (bind-mounted read-only) and a copy of its /etc. */
function systemRoot(): string {
    const root = tempDir("systemd-root");
    // Services that drop root (dbus) must be able to walk "/".
    fs.chmodSync(root, 0o755);
    for (const dir of ["usr", "etc", "var", "run", "tmp", "proc", "sys", "dev", "root"]) fs.mkdirSync(path.join(root, dir));
    fs.chmodSync(path.join(root, "tmp"), 0o1777);
    // Debian 12 merges /usr: /bin, /lib, /lib64 and /sbin are links into it.
    for (const link of ["bin", "lib", "lib64", "sbin"]) {
        if (fs.lstatSync(`/${link}`, { throwIfNoEntry: false })?.isSymbolicLink()) fs.symlinkSync(`usr/${link}`, path.join(root, link));
    }
    runOk("cp", ["-a", "/etc/.", path.join(root, "etc")]);
    // Boot only what the test starts: none of this machine's enabled units.
    for (const wants of fs.readdirSync(path.join(root, "etc/systemd/system")).filter((d) => d.endsWith(".wants"))) {
        fs.rmSync(path.join(root, "etc/systemd/system", wants), { recursive: true });
    }
    return root;
}

describe("live: the firewall table under systemd, after every kind of flush", function () {
    this.timeout(300_000);
    let root: string;

    before(async () => {
        ensureToolchain();
        for (const needed of ["/usr/lib/systemd/systemd", "/usr/lib/systemd/system/nftables.service", "/etc/nftables.conf"]) {
            assert.ok(fs.existsSync(needed), `${needed} is missing: scripts/toolchain.sh installs systemd and nftables`);
        }
        root = systemRoot();
        removeContainer(container);
        runOk("podman", ["run", "-d", "--name", container, "--systemd=always", "--cap-add", "NET_ADMIN", "--network", "none",
            "-v", "/usr:/usr:ro", "--rootfs", root, "/usr/lib/systemd/systemd"]);
        await waitFor("systemd up", async () => /^(running|degraded)$/.test(inside(["systemctl", "is-system-running"]).stdout.trim()) || undefined, 60_000);
        systemctl("start", "nftables.service");
        assert.match(inside(["nft", "list", "tables"]).stdout, /table inet filter/, "Debian's nftables.conf is loaded");
    });
    after(() => {
        removeContainer(container);
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it("the firewall step loads the table and enables and starts its units", () => {
        const applied = inside(["sh", "-s"], applyFirewallScript(ruleset, rulesetPath));
        assert.strictEqual(applied.status, 0, applied.stderr);
        assert.ok(tableLoaded());
        assert.deepStrictEqual([systemctl("is-enabled", firewallUnit), systemctl("is-active", firewallUnit)], ["enabled", "active"]);
        assert.deepStrictEqual([systemctl("is-enabled", `${firewallCheck}.timer`), systemctl("is-active", `${firewallCheck}.timer`)], ["enabled", "active"]);
    });

    for (const action of [["reload"], ["restart"], ["stop", "start"]]) {
        it(`systemctl ${action.join(", then ")} nftables: the table is loaded again`, () => {
            for (const verb of action) systemctl(verb, "nftables.service");
            assert.match(inside(["nft", "list", "tables"]).stdout, /table inet filter/, "nftables.conf ran (its flush too)");
            assert.ok(tableLoaded(), `the table is gone after systemctl ${action.join(", ")} nftables`);
        });
    }

    it("`nft flush ruleset` by hand: the check timer loads the table again within its interval", async () => {
        assert.strictEqual(inside(["nft", "flush", "ruleset"]).status, 0);
        assert.ok(!tableLoaded(), "the flush removed the table");
        const started = Date.now();
        await waitFor("the table back", async () => tableLoaded() || undefined, 90_000);
        console.log(`      table back ${Math.round((Date.now() - started) / 1000)} s after the flush`);
    });

    it("the delete step disables the units; a restart of nftables then leaves the table away", () => {
        const removed = inside(["sh", "-s"], removeFirewallScript(rulesetPath));
        assert.strictEqual(removed.status, 0, removed.stderr);
        assert.ok(!tableLoaded());
        systemctl("restart", "nftables.service");
        assert.ok(!tableLoaded(), "nothing loads the table any more");
        assert.notStrictEqual(inside(["systemctl", "is-enabled", firewallUnit]).status, 0, "the unit is gone");
        assert.notStrictEqual(inside(["systemctl", "is-active", `${firewallCheck}.timer`]).stdout.trim(), "active");
    });
});
