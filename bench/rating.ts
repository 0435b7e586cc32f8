// What the end-to-end bench decides, pure: whether a step at one offered rate held (nothing
// refused, dropped or evicted, the queue not growing, Jaeger storing what the collector sent),
// the next rate of the search, and a rating derived from per-core figures.

/** Counters of the whole path at one moment (sums over series; Jaeger's are its storage exporter's). */
export interface PathCounts {
    accepted: number;
    refused: number;
    /** Spans the collector's queue could not take. */
    enqueueFailed: number;
    evictedTraces: number;
    sendFailed: number;
    /** Spans the collector exported to Jaeger. */
    sent: number;
    /** Bytes in the collector's sending queue. */
    queuedBytes: number;
    /** Spans Jaeger wrote to its store, and failed to. */
    stored: number;
    storeFailed: number;
    /** Requests the load generator saw fail. */
    clientFailures: number;
}

/** Counts before anything was read (a step whose path stopped answering). */
export const emptyCounts: PathCounts = {
    accepted: 0,
    refused: 0,
    enqueueFailed: 0,
    evictedTraces: 0,
    sendFailed: 0,
    sent: 0,
    queuedBytes: 0,
    stored: 0,
    storeFailed: 0,
    clientFailures: 0,
};

/** A step's counters at its start and end, and the queue's size sampled through it. */
export interface StepRecord {
    start: PathCounts;
    end: PathCounts;
    queueSamples: number[];
}

/** A queue this small is a few batches in flight, not a backlog. */
export const queueSlackBytes = 4 * 2 ** 20;

/** The reasons a step did not hold its rate; empty when it held. */
export function stepFailures(step: StepRecord): string[] {
    const delta = (k: keyof PathCounts) => step.end[k] - step.start[k];
    const reasons: string[] = [];
    const counted: [keyof PathCounts, string][] = [
        ["clientFailures", "requests failed at the client"],
        ["refused", "spans refused by the collector"],
        ["enqueueFailed", "spans the queue could not take"],
        ["evictedTraces", "traces evicted undecided"],
        ["storeFailed", "spans Jaeger failed to store"],
    ];
    for (const [key, what] of counted) if (delta(key) > 0) reasons.push(`${delta(key)} ${what}`);
    const samples = step.queueSamples;
    const firstQuarter = samples.slice(0, Math.max(1, Math.floor(samples.length / 4)));
    const last = samples[samples.length - 1] ?? 0;
    const bound = Math.max(2 * Math.max(...firstQuarter, 0), queueSlackBytes);
    if (last > bound)
        reasons.push(
            `the queue grew to ${(last / 2 ** 20).toFixed(1)} MiB (bound ${(bound / 2 ** 20).toFixed(1)} MiB: twice its first quarter's peak, at least 4 MiB)`,
        );
    return reasons;
}

/** The rates a search tries: from `from`, each `factor` times the last, up to `to`. */
export function searchRates(from: number, to: number, factor: number): number[] {
    if (!(from > 0 && to >= from && factor > 1)) throw new Error(`bad search: ${from} to ${to} by ${factor}`);
    const rates: number[] = [];
    for (let rate = from; rate <= to; rate *= factor) rates.push(roundRate(rate));
    return [...new Set(rates)];
}

/** A rate rounded to a multiple of 500 spans/s, as the search's rates are. */
export const roundRate = (rate: number) => Math.round(rate / 500) * 500;

/** What one component costs: spans it handled per CPU-second, and the CPUs its container gets. */
export interface ComponentCost {
    spansPerCpuSecond: number;
    cpus: number;
    /** Spans this component handles per span offered to the collector (Jaeger: the kept share). */
    shareOfOffered: number;
}

/** Headroom left for garbage collection, TLS handshakes and the metrics pipeline. */
export const ratingHeadroom = 0.75;

/**
 * The offered rate each component could carry at its container size (its per-core figure times its
 * CPUs, divided by the share of the offered spans it handles), the least of them times the
 * headroom, and which component that is.
 */
export function derivedRating(components: Record<string, ComponentCost>): {
    rating: number;
    bottleneck: string;
    capacities: Record<string, number>;
} {
    const capacities = Object.fromEntries(
        Object.entries(components).map(([name, c]) => [name, (c.spansPerCpuSecond * c.cpus) / c.shareOfOffered]),
    );
    const [bottleneck, least] = Object.entries(capacities).sort((a, b) => a[1] - b[1])[0];
    return { rating: Math.floor((least * ratingHeadroom) / 1000) * 1000, bottleneck, capacities };
}
