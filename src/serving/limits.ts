/*
 * How large a serving run may be. Each limit is reported by name when a
 * run would pass it, before any memory or time is spent on it.
 */

/**
 * Most requests one run serves (--num-prompts, a trace's rows, a sweep's
 * numPrompts). A run keeps every request's record and its token gaps: the
 * README's 10,000-request run peaks at 245 MB, so 100,000 stay within a
 * few GB and a few minutes. Larger studies are several runs.
 */
export const MAX_REQUESTS_PER_RUN = 100_000;

/**
 * Most KV blocks a run's cache may have (--num-gpu-blocks-override, or what
 * memory holds). The block manager keeps about 30 bytes per block, so the
 * limit is some 300 MB; an 80 GB A100 holds about 8,000 blocks of
 * LLaMA2-7B's 16 tokens, and no shipped board and model reaches a million.
 */
export const MAX_KV_BLOCKS = 10_000_000;

/**
 * The latest time a run's clock may reach, ms (2^42 ms, about 139 years).
 * Times are doubles in ms from the run's start: below 2^42 they resolve
 * 2^-10 ms (about 1 µs), above it a step of a few ms would start to round
 * away, and TTFTs and latencies would come out as 0. A workload that sends
 * requests later (--request-rate 1e-15) is refused; a trace's times count
 * from its first request.
 */
export const MAX_SERVING_TIME_MS = 2 ** 42;
