-- Anomaly detectors: a smallest change worth a ticket (a floor on the spread) and how long the value must
-- stay anomalous before a ticket opens, as an alerting rule's `for`.
ALTER TABLE anomalies ADD COLUMN min_change REAL NOT NULL DEFAULT 0;
ALTER TABLE anomalies ADD COLUMN for_ms INTEGER NOT NULL DEFAULT 0;
-- The shipped denial-ratio detector, unless someone edited it: no denials is a ratio of 0 (not an empty
-- result), and a jump of less than 5 points is not worth a ticket.
UPDATE anomalies
SET query = '(sum(rate(ratelimiter_requests_total{job="rate-limiter",decision="denied"}[5m])) or vector(0)) / sum(rate(ratelimiter_requests_total{job="rate-limiter"}[5m]))',
    min_change = 0.05
WHERE name = 'DenialRatioAnomaly'
  AND query = 'sum(rate(ratelimiter_requests_total{job="rate-limiter",decision="denied"}[5m])) / sum(rate(ratelimiter_requests_total{job="rate-limiter"}[5m]))';
UPDATE anomalies SET min_change = 0.005
WHERE name = 'P99LatencyAnomaly'
  AND query = 'histogram_quantile(0.99, sum by (le) (rate(ratelimiter_http_request_duration_seconds_bucket{job="rate-limiter",route="/v1/check"}[5m])))';
UPDATE anomalies SET for_ms = 300000
WHERE name = 'RequestRateAnomaly'
  AND query = 'sum(rate(ratelimiter_requests_total{job="rate-limiter"}[5m]))' AND method = 'seasonal';
