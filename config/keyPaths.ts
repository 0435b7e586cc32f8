// Key paths in the merged config values: one way to walk them and to print them.

export type Plain = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Plain {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at a path ("collector.ports.health", or zod's list of keys and indexes); undefined where it leads nowhere. */
export function valueAt(root: unknown, path: string | readonly PropertyKey[]): unknown {
    let node = root;
    for (const part of typeof path === "string" ? path.split(".") : path) {
        if (typeof node !== "object" || node === null) return undefined;
        node = (node as Record<PropertyKey, unknown>)[part];
    }
    return node;
}

/** A path as the error messages print it: "trustedNetworks.admin[2]". */
export function joinPath(path: readonly PropertyKey[]): string {
    return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("");
}
