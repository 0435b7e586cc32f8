// One YAML style for every rendered file: a header naming the renderer, no anchors or aliases
// (each file reads on its own), no line folding.
import { stringify } from "yaml";

export function renderYaml(header: string, value: unknown): string {
    const comment = header.split("\n").map((line) => `# ${line}`).join("\n");
    return `${comment}\n${stringify(value, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
