// One YAML style for every rendered file: a header naming the renderer, no anchors or aliases
// (each file reads on its own), no line folding. Strings are quoted wherever YAML 1.1 would read
// them as something else: the collector's and Jaeger's parser (Go's yaml.v3) takes a bare
// 2006-01-02 for a date, not the string it is.
import { stringify } from "yaml";

export function renderYaml(header: string, value: unknown): string {
    const comment = header
        .split("\n")
        .map((line) => `# ${line}`)
        .join("\n");
    return `${comment}\n${stringify(value, { lineWidth: 0, aliasDuplicateObjects: false, version: "1.1" })}`;
}
