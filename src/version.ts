import pkg from "../package.json" with { type: "json" };

export const harnessVersion: string = pkg.version;
