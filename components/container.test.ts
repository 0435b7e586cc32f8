// A container spec as the docker provider takes it.
import * as assert from "assert";
import { providerCpus } from "./container";

describe("container arguments for the docker provider", () => {
    it("spell CPUs the way the provider reads them back, so an unchanged limit is no change", () => {
        const read = [1, 2, 4, 1.5, 0.5, 0.25, 10].map(providerCpus);
        assert.deepStrictEqual(read, ["1.0", "2.0", "4.0", "1.5", "0.5", "0.25", "10."]);
    });
});
