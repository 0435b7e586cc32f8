import * as assert from "assert";
import { renderDailyTimer, renderUnit } from "./units";

describe("renderUnit: every unit file the program writes", () => {
    it("writes the sections in systemd's order, a blank line after each, whatever order they are given in", () => {
        const text = renderUnit({
            purpose: "does a thing.",
            install: { WantedBy: "timers.target" },
            timer: { OnCalendar: "daily" },
            unit: { Description: "a thing" },
        });
        assert.strictEqual(
            text,
            "# Written by ivatar-otel: does a thing.\n[Unit]\nDescription=a thing\n\n[Timer]\nOnCalendar=daily\n\n[Install]\nWantedBy=timers.target\n",
        );
        assert.match(
            renderDailyTimer("x", "y"),
            /^\[Timer\]\nOnCalendar=daily\nRandomizedDelaySec=1h\nPersistent=true\n$/m,
        );
    });

    it("refuses a line break in a setting, which would start a setting of its own", () => {
        assert.throws(
            () =>
                renderUnit({
                    purpose: "p",
                    unit: {},
                    service: { ExecStart: "/bin/true\nExecStartPost=/bin/sh -c evil" },
                }),
            /a line break in the systemd setting Service\.ExecStart/,
        );
    });
});
