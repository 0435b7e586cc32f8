// A container spec as the docker provider takes it.
import * as assert from "assert";
import { everyAddress, providerCpus } from "./container";

describe("container arguments for the docker provider", () => {
    it("spell CPUs the way the provider reads them back, so an unchanged limit is no change", () => {
        const read = [1, 2, 4, 1.5, 0.5, 0.25, 10].map(providerCpus);
        assert.deepStrictEqual(read, ["1.0", "2.0", "4.0", "1.5", "0.5", "0.25", "10."]);
    });
});

describe("everyAddress", () => {
    it("writes a port published on every address as the host's Podman reports it back: 0.0.0.0 from 5 on, empty before", () => {
        assert.deepStrictEqual(["4.3.1", "4.9.4", "5.0.0", "5.4.2", "6.1.0"].map(everyAddress), [
            "",
            "",
            "0.0.0.0",
            "0.0.0.0",
            "0.0.0.0",
        ]);
    });
});
