// Prints the collector builder manifest: `ts-node scripts/collector-manifest.ts <output dir>`.
import { builderManifest } from "../components/collector/distribution";

const outputPath = process.argv[2];
if (!outputPath) {
    console.error("usage: collector-manifest.ts <output dir>");
    process.exit(2);
}
process.stdout.write(builderManifest(outputPath));
