// What the benchmark reads about a running collector: CPU time and peak memory from the kernel's
// accounting of its process (never wall time), and span counters from its own metrics.
import * as fs from "fs";
import * as net from "net";
import { metricSums } from "../tests/tools";

const ticksPerSecond = 100; // USER_HZ on Linux

/** User plus system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name: state is the first, utime the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

function statusKb(pid: number, field: string): number {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
}

/** Peak resident memory of the process, in MB. */
export const peakRssMb = (pid: number) => statusKb(pid, "VmHWM") / 1024;

/** Resident memory of the process now, in MB. */
export const rssMb = (pid: number) => statusKb(pid, "VmRSS") / 1024;

export interface SpanCounts {
    accepted: number;
    refused: number;
    sent: number;
    sendFailed: number;
    /** Traces tail sampling had to drop before deciding (more traces than num_traces held). */
    evictedTraces: number;
    /** What the sending queue holds now (bytes, with the bytes sizer), and spans it could not take. */
    queued: number;
    enqueueFailed: number;
}

/** The collector's span counters (summed over their series) from its internal metrics endpoint. */
export async function spanCounts(metricsUrl: string): Promise<SpanCounts> {
    const sums = metricSums(await (await fetch(metricsUrl)).text());
    const sum = (name: string) => sums.get(name) ?? 0;
    return {
        accepted: sum("otelcol_receiver_accepted_spans"),
        refused: sum("otelcol_receiver_refused_spans"),
        sent: sum("otelcol_exporter_sent_spans"),
        sendFailed: sum("otelcol_exporter_send_failed_spans"),
        evictedTraces: sum("otelcol_processor_tail_sampling_sampling_trace_dropped_too_early"),
        queued: sum("otelcol_exporter_queue_size"),
        enqueueFailed: sum("otelcol_exporter_enqueue_failed_spans"),
    };
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net
            .createServer()
            .listen(0, "127.0.0.1", () => {
                const { port } = server.address() as net.AddressInfo;
                server.close(() => resolve(port));
            })
            .on("error", reject);
    });
}
