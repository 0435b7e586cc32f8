// Networks in CIDR form, as the firewall's sets take them: the address must be the network's
// first address (no host bits, which nft would silently widen) and carry no IPv6 zone id.
import { isIPv4, isIPv6 } from "net";

/** The address as a big integer (32 or 128 bits), or undefined if it is not one. */
function addressBits(address: string): { value: bigint; width: number } | undefined {
    if (isIPv4(address)) {
        if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return undefined;
        return { value: address.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n), width: 32 };
    }
    if (!isIPv6(address) || address.includes("%")) return undefined;
    // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two groups.
    let text = address;
    const tail = text.match(/(\d{1,3}(\.\d{1,3}){3})$/);
    if (tail) {
        const v4 = addressBits(tail[1]);
        if (!v4) return undefined;
        text = `${text.slice(0, -tail[1].length)}${(v4.value >> 16n).toString(16)}:${(v4.value & 0xffffn).toString(16)}`;
    }
    const [head, rest] = text.includes("::") ? text.split("::") : [text, undefined];
    const left = head ? head.split(":") : [];
    const right = rest === undefined ? [] : rest ? rest.split(":") : [];
    const groups = rest === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
    if (groups.length !== 8) return undefined;
    return { value: groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n), width: 128 };
}

/** What is wrong with a network in CIDR form, or undefined if nothing is. */
export function cidrProblem(value: string): string | undefined {
    const slash = value.indexOf("/");
    const address = slash < 0 ? value : value.slice(0, slash);
    const bitsText = slash < 0 ? "" : value.slice(slash + 1);
    const parsed = addressBits(address);
    // No leading zeros in the prefix length: nft refuses "/048", and "/00" would hide a /0.
    if (!parsed || !/^(0|[1-9]\d{0,2})$/.test(bitsText) || Number(bitsText) > parsed.width)
        return "not a network in CIDR form";
    const hostBits = BigInt(parsed.width - Number(bitsText));
    if ((parsed.value & ((1n << hostBits) - 1n)) !== 0n)
        return "host bits set after the prefix (write the network's first address)";
    return undefined;
}

/** True for an IPv4 or IPv6 network in CIDR form ("10.0.1.0/24", "fd00::/64") without host bits. */
export function isCidr(value: string): boolean {
    return cidrProblem(value) === undefined;
}

/** True for a network that covers every address of its family (0.0.0.0/0, ::/0). */
export function isEverywhere(value: string): boolean {
    return /\/0$/.test(value);
}

/**
 * The network as nft is sure to parse it: IPv4 as written; IPv6 in RFC 5952 form (lower case, the
 * longest run of zero groups as "::", no IPv4 tail: nft rejects forms like ::0:0:1.2.3.4).
 */
export function canonicalCidr(value: string): string {
    const [address, bits] = value.split("/");
    const parsed = addressBits(address);
    if (!parsed || parsed.width === 32) return value;
    const groups = Array.from({ length: 8 }, (_, i) => ((parsed.value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
    let best = { start: -1, length: 0 };
    for (let start = 0; start < 8; start++) {
        let length = 0;
        while (start + length < 8 && groups[start + length] === "0") length++;
        if (length > best.length) best = { start, length };
    }
    const text =
        best.length < 2
            ? groups.join(":")
            : `${groups.slice(0, best.start).join(":")}::${groups.slice(best.start + best.length).join(":")}`;
    return `${text}/${bits}`;
}
