/** The contract every part imports: topics, payload schemas and types, fever policy, identities, pseudonyms. */
export * from "./body-estimate.ts";
export * from "./credentials.ts";
export * from "./device-bundle.ts";
export * from "./file-modes.ts";
export * from "./health-code.ts";
export * from "./identity.ts";
export * from "./messages.ts";
export * from "./mlx90614.ts";
export * from "./policy.ts";
export * from "./pseudonym.ts";
export * from "./schemas.ts";
export * from "./seal.ts";
export * from "./station-keys.ts";
export * from "./storage.ts";
export * from "./timestamps.ts";
export * from "./topics.ts";
export * from "./validate.ts";
