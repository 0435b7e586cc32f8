// The retention's renderers on literal settings (the real index cleaner runs them in
// tests/real/retention.test.ts).
import * as assert from "assert";
import { renderCleanerEnv, renderRetentionService, RetentionSettings } from "./retention";

const settings: RetentionSettings = {
    days: 7,
    image: "docker.io/jaegertracing/jaeger-es-index-cleaner:1.76.0",
    server: "https://search-1.internal:9200",
    indexPrefix: "ivatar-otel",
    username: "jaeger",
    dir: "/etc/ivatar-otel/jaeger-retention",
};

describe("Jaeger index retention renderer", () => {
    it("hands the cleaner its prefix and credentials as environment, one setting a line", () => {
        assert.strictEqual(
            renderCleanerEnv(settings, "pa55word!"),
            "INDEX_PREFIX=ivatar-otel\nES_USERNAME=jaeger\nES_PASSWORD=pa55word!\n",
        );
    });

    it("refuses what would add a line or a word where it lands, past the schema", () => {
        assert.throws(
            () => renderCleanerEnv({ ...settings, indexPrefix: "ivatar\nES_PASSWORD=x" }, "pa55word!"),
            /index prefix/,
        );
        assert.throws(
            () => renderCleanerEnv({ ...settings, username: "jaeger\nX=1" }, "pa55word!"),
            /search cluster user/,
        );
        assert.throws(() => renderCleanerEnv(settings, "two words"), /white space/);
        assert.throws(() => renderCleanerEnv(settings, undefined), /needs the password/);
        assert.throws(
            () => renderRetentionService({ ...settings, server: "https://search-1.internal:9200/ --privileged" }),
            /search cluster URL/,
        );
        assert.throws(() => renderRetentionService({ ...settings, days: 0 }), /image and days/);
    });
});
