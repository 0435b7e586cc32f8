// The project's own nftables table for the collector host. Pure: networks and ports in, ruleset out.
//
// Podman DNATs published ports in prerouting and forwards the packets to the container, so an
// INPUT rule never sees them. The table therefore filters at a prerouting hook *before* DNAT
// (priority -150 < dstnat -100), where the destination is still the published host port, and
// again at input for anything delivered to the host itself. Loopback is always admitted.
// Prerouting also sees traffic that is only passing through: packets between containers on a
// Podman bridge (when bridged traffic goes through netfilter, bridge-nf-call-iptables=1) and
// containers' own connections to other hosts. Its rules match only packets addressed to this
// host (`fib daddr type local`), so the collector's export to Jaeger is never dropped.
import { isIPv4 } from "net";
import { canonicalCidr, isCidr } from "../../grammar/cidr";
import { requireGrammar } from "../../grammar/text";

export const firewallTable = "ivatar_otel";

export interface PortClass {
    /** Set name stem, like "ingest". */
    name: string;
    /** What these ports are for (a comment in the ruleset). */
    purpose: string;
    ports: number[];
    networks: string[];
}

export interface RulesetSettings {
    classes: PortClass[];
}

function set(name: string, family: "ipv4_addr" | "ipv6_addr", networks: string[]): string {
    const elements = networks.length ? ` elements = { ${networks.map(canonicalCidr).join(", ")} }` : "";
    return `    set ${name} { type ${family}; flags interval; auto-merge;${elements} }`;
}

function drops(c: PortClass, match: string): string[] {
    const ports = c.ports.length === 1 ? String(c.ports[0]) : `{ ${c.ports.join(", ")} }`;
    return [
        `        ${match}tcp dport ${ports} ip saddr != @${c.name}_v4 drop comment "${c.purpose}"`,
        `        ${match}tcp dport ${ports} ip6 saddr != @${c.name}_v6 drop comment "${c.purpose}"`,
    ];
}

export function renderRuleset(s: RulesetSettings): string {
    for (const c of s.classes)
        for (const n of c.networks) requireGrammar(isCidr(n), "a network in the nftables ruleset", n);
    const sets = s.classes.flatMap((c) => [
        set(
            `${c.name}_v4`,
            "ipv4_addr",
            c.networks.filter((n) => isIPv4(n.split("/")[0])),
        ),
        set(
            `${c.name}_v6`,
            "ipv6_addr",
            c.networks.filter((n) => !isIPv4(n.split("/")[0])),
        ),
    ]);
    const chain = (name: string, hook: string, priority: string, match: string) => [
        `    chain ${name} {`,
        `        type filter hook ${hook} priority ${priority}; policy accept;`,
        `        iifname "lo" accept`,
        ...s.classes.flatMap((c) => drops(c, match)),
        "    }",
    ];
    return [
        "# Rendered by ivatar-otel (components/firewall/ruleset.ts); do not edit on the host.",
        "# Loading this file replaces the table atomically: declare, delete, define.",
        `table inet ${firewallTable}`,
        `delete table inet ${firewallTable}`,
        `table inet ${firewallTable} {`,
        ...sets,
        ...chain("prerouting", "prerouting", "-150", "fib daddr type local "),
        ...chain("input", "input", "filter", ""),
        "}",
        "",
    ].join("\n");
}
