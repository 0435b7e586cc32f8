// The units the steps place, under a real systemd (tests/systemd.ts: this machine's own,
// booted in a container). The firewall table outlives every kind of flush: Debian's
// /etc/nftables.conf begins with `flush ruleset`, and a person may flush by hand. The TLS
// renewal timer is armed and its service re-issues a certificate near expiry.
import * as assert from "assert";
import { firewallTable, renderRuleset } from "../../components/firewall/ruleset";
import {
    applyFirewallScript,
    firewallCheck,
    firewallUnit,
    removeFirewallScript,
} from "../../components/firewall/steps";
import { renewalUnit } from "../../components/tls/renewal";
import { generateTlsScript, removeTlsScript } from "../../components/tls/steps";
import { bootSystemd, SystemdHost } from "../systemd";
import { ensureToolchain, waitFor } from "../tools";

const rulesetPath = "/etc/ivatar-otel/firewall.nft";
const ruleset = renderRuleset({
    classes: [
        { name: "ingest", purpose: "OTLP from the app networks", ports: [4317, 4318], networks: ["10.10.1.0/24"] },
    ],
});
const tls = {
    dir: "/etc/ivatar-otel/tls",
    caDir: "/etc/ivatar-otel/ca",
    owner: "10001:10001",
    serverNames: ["collector.internal"],
};

describe("live: the host units under a real systemd", function () {
    this.timeout(300_000);
    let host: SystemdHost;
    const tableLoaded = () => host.exec(["nft", "list", "table", "inet", firewallTable]).status === 0;
    const sh = (script: string) => {
        const result = host.exec(["sh", "-s"], script);
        assert.strictEqual(result.status, 0, result.stderr);
        return result;
    };

    before(async () => {
        ensureToolchain();
        host = await bootSystemd(`ivatar-otel-systemd-${process.pid}`);
        host.systemctl("start", "nftables.service");
        assert.match(
            host.exec(["nft", "list", "tables"]).stdout,
            /table inet filter/,
            "Debian's nftables.conf is loaded",
        );
    });
    after(() => host?.stop());

    describe("firewall table after every kind of flush", () => {
        it("the firewall step loads the table and enables and starts its units", () => {
            sh(applyFirewallScript(ruleset, rulesetPath));
            assert.ok(tableLoaded());
            for (const unit of [firewallUnit, `${firewallCheck}.timer`]) {
                assert.deepStrictEqual(
                    [host.systemctl("is-enabled", unit), host.systemctl("is-active", unit)],
                    ["enabled", "active"],
                    unit,
                );
            }
        });

        for (const action of [["reload"], ["restart"], ["stop", "start"]]) {
            it(`systemctl ${action.join(", then ")} nftables: the table is loaded again`, () => {
                for (const verb of action) host.systemctl(verb, "nftables.service");
                assert.match(
                    host.exec(["nft", "list", "tables"]).stdout,
                    /table inet filter/,
                    "nftables.conf ran (its flush too)",
                );
                assert.ok(tableLoaded(), `the table is gone after systemctl ${action.join(", ")} nftables`);
            });
        }

        it("`nft flush ruleset` by hand: the check timer loads the table again within its interval", async () => {
            assert.strictEqual(host.exec(["nft", "flush", "ruleset"]).status, 0);
            assert.ok(!tableLoaded(), "the flush removed the table");
            const started = Date.now();
            await waitFor("the table back", async () => tableLoaded() || undefined, 90_000);
            console.log(`      table back ${Math.round((Date.now() - started) / 1000)} s after the flush`);
        });

        it("`nft flush table` by hand leaves an empty table: the check timer loads the rules again within its interval", async () => {
            const rules = () =>
                host
                    .exec(["nft", "list", "table", "inet", firewallTable])
                    .stdout.split("\n")
                    .filter((l) => l.includes(" drop ")).length;
            const loaded = rules();
            assert.ok(loaded > 0);
            assert.strictEqual(host.exec(["nft", "flush", "table", "inet", firewallTable]).status, 0);
            assert.ok(tableLoaded() && rules() === 0, "the flush left the table, empty");
            const started = Date.now();
            await waitFor("the rules back", async () => rules() === loaded || undefined, 90_000);
            console.log(`      rules back ${Math.round((Date.now() - started) / 1000)} s after the flush`);
        });

        it("the delete step disables the units; a restart of nftables then leaves the table away", () => {
            sh(removeFirewallScript(rulesetPath));
            assert.ok(!tableLoaded());
            host.systemctl("restart", "nftables.service");
            assert.ok(!tableLoaded(), "nothing loads the table any more");
            assert.notStrictEqual(host.exec(["systemctl", "is-enabled", firewallUnit]).status, 0, "the unit is gone");
            assert.notStrictEqual(
                host.exec(["systemctl", "is-active", `${firewallCheck}.timer`]).stdout.trim(),
                "active",
            );
        });
    });

    describe("TLS renewal timer", () => {
        const openssl = (...args: string[]) => host.exec(["openssl", ...args]);

        it("the TLS step arms the daily timer", () => {
            sh(generateTlsScript(tls));
            const timer = `${renewalUnit}.timer`;
            assert.deepStrictEqual(
                [host.systemctl("is-enabled", timer), host.systemctl("is-active", timer)],
                ["enabled", "active"],
            );
            const next = host.systemctl("show", timer, "--property=NextElapseUSecRealtime", "--value");
            const hoursAway = (Date.parse(next) - Date.now()) / 3_600_000;
            assert.ok(hoursAway > 0 && hoursAway <= 25, `next run in ${hoursAway.toFixed(1)} h (${next})`);
        });

        it("the timer's service, run by systemd, re-issues a certificate that expires tomorrow", () => {
            // A server certificate of the same CA and key that expires tomorrow.
            sh(
                [
                    `openssl req -new -key ${tls.dir}/server.key -subj /CN=expiring -out /tmp/expiring.csr`,
                    `openssl x509 -req -in /tmp/expiring.csr -CA ${tls.caDir}/ca.crt -CAkey ${tls.caDir}/ca.key -CAcreateserial -days 1 -out ${tls.dir}/server.crt 2>/dev/null`,
                ].join("\n") + "\n",
            );
            assert.notStrictEqual(
                openssl("x509", "-checkend", String(30 * 24 * 3600), "-noout", "-in", `${tls.dir}/server.crt`).status,
                0,
                "expiring now",
            );
            host.systemctl("start", `${renewalUnit}.service`);
            assert.strictEqual(
                openssl("x509", "-checkend", String(30 * 24 * 3600), "-noout", "-in", `${tls.dir}/server.crt`).status,
                0,
                "renewed",
            );
            const verified = openssl(
                "verify",
                "-CAfile",
                `${tls.caDir}/ca.crt`,
                "-verify_hostname",
                tls.serverNames[0],
                `${tls.dir}/server.crt`,
            );
            assert.strictEqual(verified.status, 0, verified.stdout + verified.stderr);
            assert.strictEqual(
                host.exec(["stat", "-c", "%u:%g", `${tls.dir}/server.crt`]).stdout.trim(),
                tls.owner,
                "the collector's user owns it",
            );
        });

        it("the delete step disarms the timer", () => {
            sh(removeTlsScript(tls));
            assert.notStrictEqual(host.exec(["systemctl", "is-enabled", `${renewalUnit}.timer`]).status, 0);
        });
    });
});
