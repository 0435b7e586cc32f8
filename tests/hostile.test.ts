// The renderers' own check: a value outside its grammar that slipped past the config schema is
// refused where it would land (a root shell on a host, a systemd unit, an env file, a Prometheus
// template), never written into the output.
import * as assert from "assert";
import { renderEnvFile } from "../components/appEnvironment";
import { renderFirewallUnit } from "../components/firewall/steps";
import { runbookLink } from "../components/prometheus/rules";
import { generateTlsScript } from "../components/tls/steps";
import { planFor } from "../stack/plan";
import { tlsStepOf } from "./deployed";

const tls = tlsStepOf(planFor("production"));
const refused = /refusing to render .* is outside its grammar/;

describe("renderers refuse hostile strings that bypassed the schema", () => {
    for (const name of ["x$(touch /tmp/ivatar-otel-pwned)", 'a"; reboot; "', "name,IP:10.0.0.1", "a\nb"]) {
        it(`TLS step: certificate name ${JSON.stringify(name)}`, () => {
            assert.throws(() => generateTlsScript({ ...tls, serverNames: [name] }), refused);
        });
    }

    it("TLS step: a directory with a quote or '..'", () => {
        assert.throws(() => generateTlsScript({ ...tls, dir: "/etc/x'y" }), refused);
        assert.throws(() => generateTlsScript({ ...tls, caDir: "/etc/ivatar-otel/../root" }), refused);
    });

    it("systemd unit: a ruleset path with a specifier or a space", () => {
        assert.throws(() => renderFirewallUnit("/etc/%H/firewall.nft"), refused);
        assert.throws(() => renderFirewallUnit("/etc/ivatar otel/firewall.nft"), refused);
    });

    it("env file: a value with a line break, a quote or a shell character", () => {
        for (const value of ["1.8.0\nOTEL_EXPORTER_OTLP_ENDPOINT=http://elsewhere", "a'b", "$(id)", "a b"]) {
            assert.throws(() => renderEnvFile({ IVATAR_VERSION: value }), refused, JSON.stringify(value));
        }
        assert.throws(() => renderEnvFile({ "BAD NAME": "x" }), refused);
    });

    it("env file: a bad header value is refused without printing it", () => {
        assert.throws(
            () => renderEnvFile({ OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer s3cr3t\nX=1" }),
            (error: Error) => {
                assert.match(error.message, /\[secret\]/);
                assert.ok(!error.message.includes("s3cr3t"));
                return true;
            },
        );
    });

    it("alert annotations: a runbook base with template braces", () => {
        assert.throws(() => runbookLink("https://wiki.internal/{{ .Value }}", "OtelCollectorDown"), refused);
        assert.throws(() => runbookLink("docs/{{ $labels.instance }}", "OtelCollectorDown"), refused);
        assert.strictEqual(runbookLink("docs/runbook.md", "OtelCollectorDown"), "docs/runbook.md#otelcollectordown");
    });
});
