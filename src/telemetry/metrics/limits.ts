import type { Labels } from "../types";

const MiB = 1024 * 1024;

/**
 * What one push to the ingest endpoints (remote write, import/prometheus) may carry. Lengths are in UTF-8
 * bytes, as Prometheus and Mimir count them. Every field is checked before the data reaches the store, and a
 * body's size before it is decompressed or parsed, so a hostile push costs at most these bounds.
 */
export interface IngestLimits {
  /** A body as sent (snappy or gzip compressed); larger ones are refused (413) unread. */
  maxCompressedBytes: number;
  /** A body after decompression, and an uncompressed body as sent (413 past it). */
  maxDecodedBytes: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
  /** Labels of one series, `__name__` included. */
  maxLabelsPerSeries: number;
  maxSeriesPerRequest: number;
  maxSamplesPerRequest: number;
}

/** The defaults, Mimir-like; one object so harness.yaml can override it later. */
export const INGEST_LIMITS: Readonly<IngestLimits> = Object.freeze({
  maxCompressedBytes: 8 * MiB,
  maxDecodedBytes: 32 * MiB,
  maxLabelNameLength: 1024,
  maxLabelValueLength: 2048,
  maxLabelsPerSeries: 64,
  maxSeriesPerRequest: 100_000,
  maxSamplesPerRequest: 1_000_000,
});

/** UTF-8 length, exact whenever it could pass `max`: short strings skip counting (a UTF-16 unit is ≤ 3 bytes). */
const utf8Length = (s: string, max: number): number =>
  s.length * 3 <= max ? s.length : Buffer.byteLength(s, "utf8");

const clip = (s: string) => (s.length > 64 ? `${s.slice(0, 64)}…` : s);

export const labelNameTooLong = (name: string, limits: IngestLimits) =>
  `label name "${clip(name)}" is longer than ${limits.maxLabelNameLength} bytes (max_label_name_length)`;

export const labelValueTooLong = (name: string, limits: IngestLimits) =>
  `value of label "${clip(name)}" is longer than ${limits.maxLabelValueLength} bytes (max_label_value_length)`;

export const tooManyLabels = (metric: string | undefined, limits: IngestLimits) =>
  `series ${clip(metric ?? "{}")} has more than ${limits.maxLabelsPerSeries} labels (max_labels_per_series)`;

export const tooManySeries = (limits: IngestLimits) =>
  `request has more than ${limits.maxSeriesPerRequest} series (max_series_per_request)`;

export const tooManySamples = (limits: IngestLimits) =>
  `request has more than ${limits.maxSamplesPerRequest} samples (max_samples_per_request)`;

/** The first limit one series' labels break, as a message naming it; null when they keep them all. */
export function labelsViolation(labels: Labels, limits: IngestLimits): string | null {
  let count = 0;
  for (const [name, value] of Object.entries(labels)) {
    if (++count > limits.maxLabelsPerSeries) return tooManyLabels(labels.__name__, limits);
    if (utf8Length(name, limits.maxLabelNameLength) > limits.maxLabelNameLength)
      return labelNameTooLong(name, limits);
    if (utf8Length(value, limits.maxLabelValueLength) > limits.maxLabelValueLength)
      return labelValueTooLong(name, limits);
  }
  return null;
}
