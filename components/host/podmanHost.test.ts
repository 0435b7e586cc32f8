// How the docker provider reaches a host over SSH (the loopback sshd refuses another key in
// tests/engine/ssh.test.ts).
import * as assert from "assert";
import { dockerHostUri, knownHostsName, sshOptions } from "./podmanHost";

describe("SSH options for the docker provider", () => {
    it("trusts exactly the configured host key, under the name known_hosts would use", () => {
        const host = { address: "collector.internal", port: 2222, user: "root", hostKey: "ssh-ed25519 AAAAkey" };
        assert.strictEqual(knownHostsName(host), "[collector.internal]:2222");
        assert.strictEqual(knownHostsName({ ...host, port: 22 }), "collector.internal");
        const opts = sshOptions(host);
        assert.ok(opts.includes("StrictHostKeyChecking=yes"));
        assert.ok(opts.includes("UserKnownHostsFile=/dev/null"));
        assert.ok(opts.includes("GlobalKnownHostsFile=/dev/null"), "the system's known_hosts is not consulted either");
        assert.ok(opts.includes("KnownHostsCommand=/bin/echo [collector.internal]:2222 ssh-ed25519 AAAAkey"));
    });

    it("puts an IPv6 host address in brackets in the provider's URI", () => {
        const host = { address: "fd00::1", port: 22, user: "root", hostKey: "ssh-ed25519 AAAAkey" };
        assert.strictEqual(dockerHostUri(host), "ssh://root@[fd00::1]:22");
        assert.strictEqual(
            dockerHostUri({ ...host, address: "collector.internal" }),
            "ssh://root@collector.internal:22",
        );
    });
});
