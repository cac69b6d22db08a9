/** A query error with the position Prometheus would report. */
export class PromQLError extends Error {
  constructor(
    message: string,
    readonly position = 0,
  ) {
    super(message);
    this.name = "PromQLError";
  }
}
